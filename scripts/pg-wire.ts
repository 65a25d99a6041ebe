/**
 * Just enough of the Postgres wire protocol for the local Neon proxy: message
 * boundaries in both directions, Terminate from the client, and
 * ReadyForQuery (with its transaction status) from the server.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export interface FrontendSeen {
  /** Messages in this chunk that the server answers with ReadyForQuery (startup, Query, Sync). */
  waitsForReady: number;
  /** The client sent Terminate ('X'). */
  terminated: boolean;
  /** The client asked for SSL/GSS; the server answers with one bare byte. */
  negotiation: boolean;
}

/** Client -> server messages. The first (startup) message has no type byte. */
export class FrontendStream {
  private buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): FrontendSeen {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const seen: FrontendSeen = { waitsForReady: 0, terminated: false, negotiation: false };
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return seen;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) return seen;
        const code = this.buffer.readInt32BE(4);
        this.buffer = this.buffer.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          seen.negotiation = true;
        } else {
          this.started = true;
          seen.waitsForReady++;
        }
        continue;
      }
      if (this.buffer.length < 5) return seen;
      const type = this.buffer[0];
      const len = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + len) return seen;
      this.buffer = this.buffer.subarray(1 + len);
      if (type === 0x51 /* Q */ || type === 0x53 /* S */) seen.waitsForReady++;
      if (type === 0x58 /* X */) seen.terminated = true;
    }
  }
}

/** Server -> client messages; yields the status byte of every ReadyForQuery ('I', 'T' or 'E'). */
export class BackendStream {
  private buffer = Buffer.alloc(0);
  private bareBytes = 0;

  /** The next byte from the server is a bare SSL/GSS answer, not a message. */
  expectNegotiationByte(): void {
    this.bareBytes++;
  }

  push(chunk: Buffer): string[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const statuses: string[] = [];
    while (this.bareBytes > 0 && this.buffer.length > 0) {
      this.buffer = this.buffer.subarray(1);
      this.bareBytes--;
    }
    for (;;) {
      if (this.buffer.length < 5) return statuses;
      const type = this.buffer[0];
      const len = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + len) return statuses;
      if (type === 0x5a /* Z */) statuses.push(String.fromCharCode(this.buffer[5] ?? 0x49));
      this.buffer = this.buffer.subarray(1 + len);
    }
  }
}
