import { describe, expect, test } from "bun:test";
import { badRequestReply, handlerErrorReply, noHandlerReply, unavailableReply } from "../../../src/replies/index.ts";
import { ReplyCode } from "../../../src/wire/index.ts";

const json = (data: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(data));

describe("reserved replies", () => {
  test("250, 252 and 255 carry their code, mimetype and body", () => {
    expect({ ...unavailableReply("draining"), data: json(unavailableReply("draining").data) }).toEqual({
      mimetype: "application/json",
      code: ReplyCode.Unavailable,
      data: { error: "unavailable: draining" },
    });
    expect(json(badRequestReply("bad argument").data)).toEqual({ error: "bad argument" });
    expect(badRequestReply("x").code).toBe(252);
    expect(noHandlerReply()).toEqual({ mimetype: "text/plain", code: 255, data: new Uint8Array(0) });
  });

  test("251 redacts the handling host's paths unless debug, which adds the stack", () => {
    const error = new TypeError("ENOENT: no such file or directory, open '/srv/files/x y.txt'");
    const plain = json(handlerErrorReply(error, false).data);
    expect(plain).toEqual({ exception: { message: "ENOENT: no such file or directory, open '<path>'", class: "TypeError" } });
    const debug = json(handlerErrorReply(error, true).data);
    expect(debug.exception.message).toBe(error.message);
    expect(debug.exception.stack).toContain("TypeError");
    expect(json(handlerErrorReply("thrown string at /etc/passwd", false).data)).toEqual({ exception: { message: "thrown string at <path>", class: "string" } });
  });
});
