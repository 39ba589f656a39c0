import { describe, expect, test } from "bun:test";
import { createDispatcher, reply, REPLY_BRAND, type HandlerContext } from "../../../src/dispatch/index.ts";
import { InvalidReplyError, mimetypeProblem, replyCodeProblem } from "../../../src/replies/index.ts";
import { ReplyCode } from "../../../src/wire/index.ts";

const context = { peer: { name: "p", remoteAddress: "memory:p" }, signal: new AbortController().signal };
const untext = new TextDecoder();

async function answer(handler: (ctx: HandlerContext) => unknown) {
  const reply = await createDispatcher({ get_x: handler })({ verb: "get", noun: "x" }, context);
  return { code: reply.code, body: JSON.parse(untext.decode(reply.data)) as { exception: { message: string; class: string } } };
}

describe("reply codes a handler may send", () => {
  test("whole numbers 0..2^32-1 outside 250-255 pass", () => {
    for (const code of [0, 1, 200, 249, 256, 404, 0xffff_ffff]) expect(replyCodeProblem(code)).toBeUndefined();
  });

  test("-1, 1.5, NaN, 2^32, undefined, a string: refused, naming the value", () => {
    const range = "a reply code is a whole number from 0 to 4294967295; pass one to ctx.reply";
    expect(replyCodeProblem(-1)).toBe(`Cannot reply with code -1: ${range}`);
    expect(replyCodeProblem(1.5)).toBe(`Cannot reply with code 1.5: ${range}`);
    expect(replyCodeProblem(Number.NaN)).toBe(`Cannot reply with code NaN: ${range}`);
    expect(replyCodeProblem(2 ** 32)).toBe(`Cannot reply with code 4294967296: ${range}`);
    expect(replyCodeProblem(undefined)).toBe(`Cannot reply with code undefined: ${range}`);
    expect(replyCodeProblem("7")).toBe(`Cannot reply with code "7": ${range}`);
  });

  test("250-255 are RestPipe's", () => {
    for (const code of [250, 251, 252, 253, 254, 255]) {
      expect(replyCodeProblem(code)).toBe(
        `Cannot reply with code ${code}: codes 250-255 are reserved for RestPipe; use a code below 250 or above 255 (or throw, for a 251)`,
      );
    }
  });
});

describe("reply mimetypes", () => {
  test("ordinary ones pass, up to 1 KiB", () => {
    for (const m of ["", "text/plain", "application/json; charset=utf-8", "x/".padEnd(1024, "y")]) expect(mimetypeProblem(m)).toBeUndefined();
  });

  test("CR, LF, NUL, other controls, beyond Latin-1, over 1 KiB, not a string: refused", () => {
    expect(mimetypeProblem("text/plain\r\nSet-Cookie: a=b")).toBe(
      'mimetype "text/plain\\r\\nSet-Cookie: a=b" holds a control character (CR, LF, NUL, ...) or one beyond Latin-1',
    );
    expect(mimetypeProblem("a\nb")).toContain("holds a control character");
    expect(mimetypeProblem("a\0b")).toContain("holds a control character");
    expect(mimetypeProblem("a\x7fb")).toContain("holds a control character");
    expect(mimetypeProblem("text/☃")).toContain("holds a control character");
    expect(mimetypeProblem("x".repeat(1025))).toBe("mimetype of 1025 bytes exceeds the limit of 1024");
    expect(mimetypeProblem(undefined)).toBe("a mimetype is a string, got undefined");
  });
});

describe("ctx.reply and the dispatcher", () => {
  test("reply() throws InvalidReplyError", () => {
    expect(() => reply("text/plain", -1, "x")).toThrow(InvalidReplyError);
    expect(() => reply("text/plain\n", 0, "x")).toThrow(
      new InvalidReplyError(
        'Cannot reply: mimetype "text/plain\\n" holds a control character (CR, LF, NUL, ...) or one beyond Latin-1; pass a plain mimetype such as "text/plain" to ctx.reply',
      ),
    );
  });

  test("a handler replying with a bad code gets a 251 that names the value", async () => {
    for (const [code, shown] of [
      [-1, "-1"],
      [1.5, "1.5"],
      [Number.NaN, "NaN"],
      [2 ** 32, "4294967296"],
      [undefined, "undefined"],
    ] as const) {
      const { code: sent, body } = await answer((ctx) => ctx.reply("text/plain", code as number, "x"));
      expect(sent).toBe(ReplyCode.HandlerError);
      expect(body.exception).toEqual({
        message: `Cannot reply with code ${shown}: a reply code is a whole number from 0 to 4294967295; pass one to ctx.reply`,
        class: "InvalidReplyError",
      });
    }
  });

  test("a handler replying with a reserved code gets a 251 explaining", async () => {
    const { code, body } = await answer((ctx) => ctx.reply("text/plain", 253, "x"));
    expect(code).toBe(ReplyCode.HandlerError);
    expect(body.exception.message).toStartWith("Cannot reply with code 253: codes 250-255 are reserved for RestPipe");
  });

  test("a reply forged with the brand is checked too", async () => {
    const forged = { [REPLY_BRAND]: true, mimetype: "a\r\nb", code: 0, data: "x" };
    const { code, body } = await answer(() => forged);
    expect(code).toBe(ReplyCode.HandlerError);
    expect(body.exception.message).toStartWith('Cannot reply: mimetype "a\\r\\nb" holds a control character');
  });
});
