/*
 * Argument rules and @fromViewer on a subscription's root field, over a real WebSocket: a caller
 * that may not supply an argument is refused on subscribe and nothing starts; @fromViewer gives the
 * subscribe and each event the caller's value, and supplying it is BAD_USER_INPUT.
 */
import { createUser } from '../../src/services/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { eventually, openSocket, type Socket } from '../helpers/ws';

const started: string[] = [];
const app = {
  typeDefs: /* GraphQL */ `
    type Subscription {
      echo(loud: Boolean @hasRole(role: ADMIN), who: ID @fromViewer(path: "id")): String @public
    }
  `,
  resolvers: {
    Subscription: {
      echo: {
        subscribe: async function* (_: unknown, args: { loud?: boolean | null; who: string | null }) {
          started.push(String(args.who));
          yield `${args.who}:${args.loud === true ? 'LOUD' : 'quiet'}`;
        },
        resolve: (value: string) => value,
      },
    },
  },
};

describe('argument rules on a subscription root field', () => {
  let h: HttpHarness;
  const sockets: Socket[] = [];
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHttpServer({ app });
    const origin = { actorId: null, address: 'test', source: 'request' } as const;
    for (const role of ['USER', 'ADMIN'] as const) {
      const email = `${role.toLowerCase()}@subscriptions.test`;
      ids[role] = (await createUser(h.app, { email, password: 'subscribe password', role }, origin)).id;
      const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "subscribe password") { accessToken } }', {
        variables: { e: email },
      });
      tokens[role] = login.body.data?.['login']?.accessToken as string;
    }
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await h?.close();
  });

  const socketAs = async (role: 'USER' | 'ADMIN' | null): Promise<Socket> => {
    const socket = openSocket(h.url, role === null ? undefined : { authorization: `Bearer ${tokens[role]}` });
    sockets.push(socket);
    await socket.connected;
    return socket;
  };

  it('refuses a USER who supplies an ADMIN-only argument, starting nothing; an ADMIN may', async () => {
    const before = started.length;
    const refused = (await socketAs('USER')).subscribe('subscription { echo(loud: true) }').received;
    await eventually(() => refused.completed, 'the refusal');
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(refused.events).toEqual([]);
    const anonymous = (await socketAs(null)).subscribe('subscription ($l: Boolean) { echo(loud: $l) }', { l: false }).received;
    await eventually(() => anonymous.completed, 'the refusal');
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(started.length).toBe(before);
    const admin = (await socketAs('ADMIN')).subscribe('subscription { echo(loud: true) }').received;
    await eventually(() => admin.events.length === 1, 'the ADMIN event');
    expect(admin.events[0]?.data).toEqual({ echo: `${ids['ADMIN']}:LOUD` });
  });

  it('gives @fromViewer the caller’s id, and refuses a subscribe that supplies it', async () => {
    const user = await socketAs('USER');
    const own = user.subscribe('subscription { echo }').received;
    await eventually(() => own.events.length === 1, 'the USER event');
    expect(own.events[0]?.data).toEqual({ echo: `${ids['USER']}:quiet` });
    const before = started.length;
    const supplied = user.subscribe(`subscription { echo(who: "${ids['ADMIN']}") }`).received;
    await eventually(() => supplied.completed, 'the refusal');
    expect(supplied.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(started.length).toBe(before);
  });
});
