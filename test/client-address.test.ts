import { addressLimitKey, clientAddress, limitKeyOf, parseIpAddress } from '../src/client-address';

describe('parseIpAddress', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    [' 203.0.113.9 ', '203.0.113.9'],
    ['203.0.113.9:8080', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::1', '::1'],
  ])('%j is %j', (raw, parsed) => {
    expect(parseIpAddress(raw)).toBe(parsed);
  });

  it.each([
    'cli',
    '<script>',
    '',
    'unknown',
    '203.0.113',
    '203.0.113.256',
    '01.2.3.4',
    'fe80::1%eth0',
    '[2001:db8::1',
    '2001:db8::1:443:x',
  ])('%j is no address', (raw) => {
    expect(parseIpAddress(raw)).toBeNull();
  });
});

describe('clientAddress', () => {
  it('takes the forwarded address when it is one, else the connection address', () => {
    expect(clientAddress('203.0.113.9', '10.0.0.2')).toBe('203.0.113.9');
    expect(clientAddress('cli', '10.0.0.2')).toBe('10.0.0.2');
    expect(clientAddress(undefined, '::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined)).toBe('unknown');
  });
});

describe('addressLimitKey', () => {
  it('gives every spelling of addresses in one IPv6 /64 one key', () => {
    const spellings = ['2001:db8:1:2::1', '2001:DB8:1:2:0:0:0:1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:abcd::9'];
    expect(new Set(spellings.map(addressLimitKey))).toEqual(new Set(['2001:db8:1:2::/64']));
  });

  it('gives different /64s different keys', () => {
    expect(addressLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressLimitKey('2001:db8::1')).toBe('2001:db8::/64');
    expect(addressLimitKey('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
    expect(addressLimitKey('::1')).toBe('::/64');
  });

  it('keeps IPv4 (an IPv4-mapped IPv6 address included, as clientAddress gives it) and non-addresses as they are', () => {
    expect(addressLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressLimitKey(clientAddress(undefined, '::ffff:198.51.100.7'))).toBe('198.51.100.7');
    expect(addressLimitKey('unknown')).toBe('unknown');
    expect(addressLimitKey('cli')).toBe('cli');
    expect(addressLimitKey(null)).toBe('unknown');
  });
});

describe('limitKeyOf', () => {
  it('counts IPv6 per network of the given prefix, and IPv4 per address whatever the prefix', () => {
    expect(limitKeyOf('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::/48');
    expect(limitKeyOf('2001:db8:1:ffff::1', 48)).toBe('2001:db8:1::/48');
    expect(limitKeyOf('2001:db8:1:ff42::1', 56)).toBe('2001:db8:1:ff00::/56');
    expect(limitKeyOf('2001:db8:abcd:12ff::1', 52)).toBe('2001:db8:abcd:1000::/52');
    expect(limitKeyOf('2001:db8::1', 128)).toBe('2001:db8::1/128');
    expect(limitKeyOf('203.0.113.9', 48)).toBe('203.0.113.9');
    expect(limitKeyOf('2001:db8:1:2::1', 64)).toBe(addressLimitKey('2001:db8:1:2::1'));
  });
});
