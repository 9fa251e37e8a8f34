import { clientAddress, parseIpAddress } from '../../src/http/client-address';

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
