/** An abusive HTTP client: a request whose chunked body never ends. */
import { connect } from "node:net";

export interface StreamedRefusal {
  /** The status line the server answered with. */
  readonly statusLine: string;
  /** Body bytes the client managed to write before the server closed the connection. */
  readonly bytesWritten: number;
  /** Whether the server closed the connection (rather than the client giving up). */
  readonly closedByServer: boolean;
}

/**
 * Sends the head of a request with a chunked body and keeps streaming 64 KiB chunks until the server
 * closes the connection or `giveUpBytes` were written: what an abusive client does.
 */
export function streamEndlessBody(port: number, head: string, giveUpBytes: number): Promise<StreamedRefusal> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunk = Buffer.concat([Buffer.from("10000\r\n"), Buffer.alloc(0x10000, 0x5b), Buffer.from("\r\n")]);
    let written = 0;
    let response = "";
    let closedByServer = false;
    const pump = (): void => {
      while (!socket.destroyed && written < giveUpBytes) {
        written += 0x10000;
        if (!socket.write(chunk)) {
          socket.once("drain", pump);
          return;
        }
      }
      if (written >= giveUpBytes) socket.destroy();
    };
    socket.on("connect", () => {
      socket.write(`${head}\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`);
      pump();
    });
    socket.on("data", (d: Buffer) => {
      response += d.toString("latin1");
    });
    socket.on("end", () => {
      closedByServer = true;
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // A reset after the response is how a server closes on a client that is still sending.
      if (err.code !== "ECONNRESET" && err.code !== "EPIPE") reject(err);
      closedByServer = true;
    });
    socket.on("close", () => resolve({ statusLine: response.split("\r\n")[0] ?? "", bytesWritten: written, closedByServer }));
  });
}
