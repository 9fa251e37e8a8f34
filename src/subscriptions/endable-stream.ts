/**
 * A running subscription's results, which the server can end with errors (a role change denied
 * it): the client gets an `error` message for it, and the source stops. `onFinish` runs once,
 * however the stream ends (the source ran out, failed, was returned, or was ended here).
 */
import type { GraphQLError } from 'graphql';

export class EndableStream<T> implements AsyncIterableIterator<T> {
  private rejectWaiting: ((error: unknown) => void) | undefined;
  private failure: GraphQLError | undefined;
  private finished = false;

  constructor(
    private readonly source: AsyncIterableIterator<T>,
    private readonly onFinish: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.rejectWaiting = reject;
      this.source.next().then(
        (result) => {
          if (this.rejectWaiting !== reject) return; // failed meanwhile
          this.rejectWaiting = undefined;
          if (result.done) this.finish();
          resolve(result);
        },
        (error: unknown) => {
          if (this.rejectWaiting !== reject) return;
          this.rejectWaiting = undefined;
          this.finish();
          reject(error);
        },
      );
    });
  }

  /** Ends with `errors` (graphql-ws sends the first one's message and extensions as the subscription's error). */
  fail(errors: readonly GraphQLError[]): void {
    if (this.finished) return;
    const error = errors[0] as GraphQLError;
    this.finish();
    void this.source.return?.();
    const reject = this.rejectWaiting;
    this.rejectWaiting = undefined;
    if (reject !== undefined) reject(error);
    else this.failure = error;
  }

  async return(): Promise<IteratorResult<T>> {
    this.finish();
    await this.source.return?.();
    return { value: undefined, done: true };
  }
}
