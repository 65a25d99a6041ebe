import { describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { timeOfId } from "../../shared/ids.ts";
import { adminToken, api, newCustomer, problemOf, unique } from "./client.ts";

const userShape = (email: string, name: string, role = "customer") => ({ id: expect.stringMatching(/^usr_/), email, name, role, createdAt: expect.any(String) });

describe("POST /v1/auth/register", () => {
  it("creates a customer and returns a token", async () => {
    const email = `${unique("reg")}@example.com`;
    const res = await api("POST", "/v1/auth/register", { body: { email, password: "password123", name: "Ada" } });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({ user: userShape(email, "Ada"), token: expect.any(String) });
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("x-edgeshop-version")).toBeTruthy();
  });

  it("lower-cases the email and refuses a second account with it (409 EMAIL_TAKEN)", async () => {
    const email = `${unique("dup")}@example.com`;
    expect((await api("POST", "/v1/auth/register", { body: { email: email.toUpperCase(), password: "password123", name: "A" } })).status).toBe(201);
    const again = await api("POST", "/v1/auth/register", { body: { email, password: "password456", name: "B" } });
    expect(again.status).toBe(409);
    expect(again.body).toStrictEqual(problemOf(409, "EMAIL_TAKEN"));
  });

  it("lists every invalid field (400 VALIDATION_FAILED)", async () => {
    const res = await api("POST", "/v1/auth/register", { body: { email: "not-an-email", password: "short" } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toStrictEqual(
      problemOf(400, "VALIDATION_FAILED", {
        errors: [
          { path: "email", message: expect.any(String) },
          { path: "password", message: expect.any(String) },
          { path: "name", message: expect.any(String) },
        ],
      }),
    );
  });

  it("refuses an email whose local part is over 64 characters (RFC 5321)", async () => {
    const local = `${unique("l")}`.padEnd(65, "x");
    const res = await api("POST", "/v1/auth/register", { body: { email: `${local}@example.com`, password: "password123", name: "A" } });
    expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "email", message: "The part before the @ is at most 64 characters" }] }));
    expect((await api("POST", "/v1/auth/register", { body: { email: `${local.slice(0, 64)}@example.com`, password: "password123", name: "A" } })).status).toBe(201);
  });

  it("takes emails trimmed, lower-cased and in ASCII only (an internationalised domain in punycode); a login with a malformed one is 400", async () => {
    const local = unique("idn");
    const registered = await api("POST", "/v1/auth/register", { body: { email: ` ${local.toUpperCase()}@xn--exmple-cua.COM\n`, password: "password123", name: "A" } });
    expect(registered.status).toBe(201);
    expect((registered.body as { user: { email: string } }).user.email).toBe(`${local}@xn--exmple-cua.com`);
    expect((await api("POST", "/v1/auth/login", { body: { email: `${local}@XN--EXMPLE-CUA.com`, password: "password123" } })).status).toBe(200);
    for (const email of [`${local}@exämple.com`, `${local}ü@example.com`]) {
      const res = await api("POST", "/v1/auth/register", { body: { email, password: "password123", name: "A" } });
      expect(res.body, email).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "email", message: expect.any(String) }] }));
    }
    for (const email of ["not-an-email", `${local}@exämple.com`]) {
      const res = await api("POST", "/v1/auth/login", { body: { email, password: "password123" } });
      expect(res.body, email).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "email", message: expect.any(String) }] }));
    }
  });

  it("refuses a password over 128 characters", async () => {
    const res = await api("POST", "/v1/auth/register", { body: { email: `${unique("long")}@example.com`, password: "x".repeat(129), name: "L" } });
    expect(res.status).toBe(400);
  });

  it("never lets a client choose its role", async () => {
    const email = `${unique("role")}@example.com`;
    const res = await api<{ user: { role: string } }>("POST", "/v1/auth/register", { body: { email, password: "password123", name: "M", role: "admin" } });
    expect(res.status).toBe(201);
    expect(res.body.user.role).toBe("customer");
  });

  it("answers malformed JSON with 400", async () => {
    const res = await api("POST", "/v1/auth/register", { rawBody: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "body", message: "Malformed JSON" }] }));
  });
});

describe("POST /v1/auth/login", () => {
  it("returns the user and a token", async () => {
    const customer = await newCustomer("Grace");
    const res = await api("POST", "/v1/auth/login", { body: { email: customer.email, password: "password123" } });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ user: userShape(customer.email, "Grace"), token: expect.any(String) });
  });

  it("takes the password in either Unicode form it may be typed in (NFKC)", async () => {
    const email = `${unique("nfc")}@example.com`;
    const decomposed = "e\u0301".repeat(8);
    expect((await api("POST", "/v1/auth/register", { body: { email, password: decomposed, name: "Zoë" } })).status).toBe(201);
    for (const password of [decomposed, decomposed.normalize("NFC")]) {
      expect((await api("POST", "/v1/auth/login", { body: { email, password } })).status).toBe(200);
    }
    expect((await api("POST", "/v1/auth/login", { body: { email, password: "eeeeeeee" } })).status).toBe(401);
  });

  it("counts a password's 8-128 characters in the form it is hashed in, so either spelling of it is one length", async () => {
    // 8 code points, 4 characters: too short however it is typed.
    const short = await api("POST", "/v1/auth/register", { body: { email: `${unique("nfk")}@example.com`, password: "e\u0301".repeat(4), name: "S" } });
    expect(short.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "password", message: expect.stringContaining("at least 8") }] }));
    // 100 characters as 100 or as 200 code points: the same password, accepted for login in either form.
    const email = `${unique("nfk")}@example.com`;
    expect((await api("POST", "/v1/auth/register", { body: { email, password: "\u00e9".repeat(100), name: "L" } })).status).toBe(201);
    expect((await api("POST", "/v1/auth/login", { body: { email, password: "e\u0301".repeat(100) } })).status).toBe(200);
    // Characters are code points: four emoji are four, however many UTF-16 units they take.
    const emoji = await api("POST", "/v1/auth/register", { body: { email: `${unique("nfk")}@example.com`, password: "\u{1F511}".repeat(4), name: "E" } });
    expect(emoji.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "password", message: expect.stringContaining("at least 8") }] }));
    expect((await api("POST", "/v1/auth/register", { body: { email: `${unique("nfk")}@example.com`, password: "\u{1F511}".repeat(8), name: "E" } })).status).toBe(201);
    const long = await api("POST", "/v1/auth/register", { body: { email: `${unique("nfk")}@example.com`, password: "e\u0301".repeat(129), name: "L" } });
    expect(long.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "password", message: expect.stringContaining("at most 128") }] }));
  });

  it("gives the same 401 for a wrong password and an unknown email", async () => {
    const customer = await newCustomer();
    const wrong = await api("POST", "/v1/auth/login", { body: { email: customer.email, password: "wrong-password" } });
    const unknown = await api("POST", "/v1/auth/login", { body: { email: `${unique("nobody")}@example.com`, password: "password123" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: unknown) => ({ ...(b as Record<string, unknown>), requestId: "" });
    expect(strip(wrong.body)).toStrictEqual(strip(unknown.body));
    expect(wrong.body).toStrictEqual(problemOf(401, "INVALID_CREDENTIALS"));
    // Every 401 names the scheme to authenticate with (RFC 9110), a login's too.
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="edgeshop"');
  });
});

describe("GET and PATCH /v1/me", () => {
  it("returns the caller", async () => {
    const customer = await newCustomer("Linus");
    const res = await api("GET", "/v1/me", { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(userShape(customer.email, "Linus"));
  });

  it("is 401 without, with a malformed, an expired or a wrongly signed token", async () => {
    const customer = await newCustomer();
    const [, payload] = customer.token.split(".");
    // A token as the users Worker signs them, with one thing changed.
    const signed = (role: string, audience: string, expiry: number | string, secret = "local-dev-jwt-secret-change-me-0123456789", issuedAt?: number) => {
      const builder = new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setSubject(customer.id).setIssuer("edgeshop").setAudience(audience);
      return (issuedAt === undefined ? builder : builder.setIssuedAt(issuedAt)).setExpirationTime(expiry).sign(new TextEncoder().encode(secret));
    };
    const expired = await signed("customer", "edgeshop-api", 1_600_000_100, undefined, 1_600_000_000);
    const wrongAudience = await signed("admin", "someone-else", "1h");
    const otherSecret = await signed("admin", "edgeshop-api", "1h", "not-the-gateway-secret-0123456789abcdefgh");
    const algNone = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    // A token lives 24 h from its iat whatever exp it names, needs an iat, and its iat can not lie ahead.
    const now = Math.floor(Date.now() / 1000);
    const neverExpiring = await signed("customer", "edgeshop-api", 100_000_000_000, undefined, now - 25 * 3600);
    const fromTheFuture = await signed("customer", "edgeshop-api", now + 7200, undefined, now + 3600);
    const withoutIat = await signed("customer", "edgeshop-api", now + 3600);
    expect((await api("GET", "/v1/me", { headers: { authorization: `Bearer ${await signed("customer", "edgeshop-api", now + 3600, undefined, now)}` } })).status).toBe(200);
    for (const token of [undefined, "garbage", expired, wrongAudience, otherSecret, algNone, neverExpiring, fromTheFuture, withoutIat]) {
      const res = await api("GET", "/v1/me", token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.body).toStrictEqual(problemOf(401, "UNAUTHENTICATED"));
      // Only a token edgeshop signed that has run out says so (a client then signs in again).
      const outOfTime = token === expired || token === neverExpiring;
      expect({ token, expired: /expired/.test(String((res.body as { detail?: string }).detail)) }).toStrictEqual({ token, expired: outOfTime });
    }
    // The gateway keeps its imported key between requests: the real token still passes after all those.
    expect((await api("GET", "/v1/me", { token: customer.token })).status).toBe(200);
  });

  it("reads the auth scheme case-insensitively (RFC 9110), and nothing but Bearer", async () => {
    const customer = await newCustomer("Grace");
    for (const scheme of ["Bearer ", "bearer ", "BEARER ", "bEaReR ", "Bearer   "]) {
      const res = await api("GET", "/v1/me", { headers: { authorization: `${scheme}${customer.token}` } });
      expect({ scheme, status: res.status }).toStrictEqual({ scheme, status: 200 });
    }
    for (const header of [`Basic ${customer.token}`, `Bearer${customer.token}`, `Bearer ${customer.token} extra`, `Token ${customer.token}`, customer.token]) {
      const res = await api("GET", "/v1/me", { headers: { authorization: header } });
      expect({ header, status: res.status }).toStrictEqual({ header, status: 401 });
    }
  });

  it("changes the name only", async () => {
    const customer = await newCustomer("Old");
    const res = await api("PATCH", "/v1/me", { token: customer.token, body: { name: "New" } });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(userShape(customer.email, "New"));
  });

  it("refuses a body that is not UTF-8 text with 400 and stores nothing (no U+FFFD in place of the bytes)", async () => {
    const customer = await newCustomer("Kept");
    const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)));
    // Bytes that are not UTF-8 are the body's fault; an escape that is no Unicode text names the field holding it.
    const bad = [
      [bytes('{"name":"', [0xff, 0xfe], '"}'), "body"],
      [bytes('{"name":"', [0xc3], '"}'), "body"],
      [bytes('{"name":"', [0xed, 0xa0, 0x80], '"}'), "body"],
      ['{"name":"\\ud800"}', "name"],
      ['{"name":"x\\udc00y"}', "name"],
      ['{"\\ud800":"x","name":"y"}', "body"],
      ['{"name":"a\\u0000b"}', "name"],
    ] as const;
    for (const [rawBody, path] of bad) {
      const res = await api("PATCH", "/v1/me", { token: customer.token, rawBody });
      expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path, message: expect.any(String) }] }));
    }
    expect((await api<{ name: string }>("GET", "/v1/me", { token: customer.token })).body.name).toBe("Kept");
    // Well-formed text passes, escaped or not: a surrogate pair is one character, and an escaped backslash
    // followed by "u0000" is those six characters, not a NUL.
    for (const [rawBody, name] of [['{"name":"\\ud83d\\ude00 Ada"}', "😀 Ada"], [bytes('{"name":"Zoë 😀"}'), "Zoë 😀"], ['{"name":"C:\\\\u0000"}', "C:\\u0000"]] as const) {
      const res = await api<{ name: string }>("PATCH", "/v1/me", { token: customer.token, rawBody });
      expect({ status: res.status, name: res.body.name }).toStrictEqual({ status: 200, name });
    }
  });

  it("refuses role and email changes with 400 and applies nothing", async () => {
    const customer = await newCustomer("Keep");
    const res = await api("PATCH", "/v1/me", { token: customer.token, body: { name: "X", role: "admin", email: "evil@example.com" } });
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(
      problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "role", message: expect.any(String) }, { path: "email", message: expect.any(String) }] }),
    );
    expect((await api("GET", "/v1/me", { token: customer.token })).body).toStrictEqual(userShape(customer.email, "Keep"));
  });
});

describe("/v1/me/addresses", () => {
  const address = { name: "Home", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

  it("saves and lists the caller's addresses only", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const created = await api("POST", "/v1/me/addresses", { token: a.token, body: address });
    expect(created.status).toBe(201);
    expect(created.body).toStrictEqual({ id: expect.stringMatching(/^adr_/), ...address, line2: null });
    expect((await api("GET", "/v1/me/addresses", { token: a.token })).body).toStrictEqual({ items: [created.body] });
    expect((await api("GET", "/v1/me/addresses", { token: b.token })).body).toStrictEqual({ items: [] });
  });

  it("refuses control characters, line breaks and invisible-only text (400 naming the field), and takes an empty line2 as none", async () => {
    const a = await newCustomer();
    for (const [field, value] of [["name", "a\u0007b"], ["line1", "1 Main St\nApt 2"], ["city", "\u202Eevil"], ["name", "\u200b\u200b"], ["line2", "x\u0000"], ["line2", "\u200b"], ["line2", "\u3164"]] as const) {
      const bad = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, [field]: value } });
      expect(bad.body, `${field}: ${JSON.stringify(value)}`).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: field, message: expect.any(String) }] }));
    }
    for (const line2 of ["", "   "]) {
      const saved = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, line2 } });
      expect(saved.body).toStrictEqual({ id: expect.any(String), ...address, line2: null });
    }
    const named = await api("PATCH", "/v1/me", { token: a.token, body: { name: "\u200b" } });
    expect(named.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "name", message: "Must contain a visible character" }] }));
    const accented = await api("PATCH", "/v1/me", { token: a.token, body: { name: "Zoë 👩‍💻 O'Brien-Łukasz" } });
    expect(accented.body).toMatchObject({ name: "Zoë 👩‍💻 O'Brien-Łukasz" });
  });

  it("refuses text that shows nothing (fillers, a lone mark) and private-use characters or noncharacters anywhere (400 naming the field)", async () => {
    const a = await newCustomer();
    const blank = "Must contain a visible character";
    const privateUse = "Private-use characters and noncharacters are not allowed";
    const refused: [string, string][] = [
      ["\u3164", blank], // Hangul filler
      ["\u115F\u1160\uFFA0", blank], // the other Hangul fillers
      ["\u2800", blank], // Braille pattern blank
      ["\uFE0F", blank], // a lone variation selector
      ["\u0301", blank], // a lone combining accent
      ["\u3164\u0301\u2800", blank],
      ["\uE000", privateUse],
      ["Zoe \uF8FF", privateUse],
      ["\u{F0000}", privateUse], // supplementary private use
      ["\uFFFF", privateUse],
      ["a\uFFFEb", privateUse],
      ["\uFDD0", privateUse],
      ["x\u{10FFFF}", privateUse],
    ];
    for (const [value, message] of refused) {
      const named = await api("PATCH", "/v1/me", { token: a.token, body: { name: value } });
      expect(named.body, `name: ${JSON.stringify(value)}`).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "name", message }] }));
      for (const field of ["name", "city"]) {
        const bad = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, [field]: value } });
        expect(bad.body, `${field}: ${JSON.stringify(value)}`).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: field, message }] }));
      }
    }
    // line2 may be empty, yet a private-use character there is refused too.
    const line2 = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, line2: "\uE000" } });
    expect(line2.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "line2", message: privateUse }] }));
    // The refusals that came before still hold.
    for (const value of ["\u00A0", "\u200B", "\u00AD", "\uFEFF"]) {
      expect((await api("PATCH", "/v1/me", { token: a.token, body: { name: value } })).status, JSON.stringify(value)).toBe(400);
    }
    for (const value of ["\u202Eevil", "a\u2028b", "a\u0085b"]) {
      expect((await api("PATCH", "/v1/me", { token: a.token, body: { name: value } })).body, JSON.stringify(value)).toStrictEqual(
        problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "name", message: "Control characters and line breaks are not allowed" }] }),
      );
    }
    // Real names and emoji pass as sent: accents precomposed or combining, CJK, Hangul, Arabic, Hebrew, ZWJ and variation-selector emoji.
    for (const value of ["Zoë", "Zoe\u0301", "李小龍", "김민준", "محمد", "שלום", "👩‍💻", "❤️", "1️⃣", "🇺🇸", "Ada \u3164Lovelace"]) {
      const named = await api("PATCH", "/v1/me", { token: a.token, body: { name: value } });
      expect(named.status, JSON.stringify(value)).toBe(200);
      expect(named.body, JSON.stringify(value)).toMatchObject({ name: value });
      const saved = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, name: value, city: value } });
      expect(saved.body, JSON.stringify(value)).toStrictEqual({ id: expect.any(String), ...address, name: value, city: value, line2: null });
    }
  });

  it("answers a valid token of an account that does not exist with 401, not a 500", async () => {
    const ghost = await new SignJWT({ role: "customer" }).setProtectedHeader({ alg: "HS256" }).setSubject(`usr_${"0".repeat(27)}9`)
      .setIssuer("edgeshop").setAudience("edgeshop-api").setIssuedAt().setExpirationTime("1h")
      .sign(new TextEncoder().encode("local-dev-jwt-secret-change-me-0123456789"));
    const gone = problemOf(401, "UNAUTHENTICATED", { detail: "This account no longer exists." });
    const authorization = `Bearer ${ghost}`;
    // Reading or renaming the account answers as saving an address does: the token authenticates nobody.
    for (const [method, body] of [["POST", address], ["GET", undefined], ["PATCH", { name: "Ghost" }]] as const) {
      const path = method === "POST" ? "/v1/me/addresses" : "/v1/me";
      const res = await api(method, path, { headers: { authorization }, ...(body ? { body } : {}) });
      expect(res.body, `${method} ${path}`).toStrictEqual(gone);
      expect(res.headers.get("www-authenticate"), `${method} ${path}`).toBe('Bearer realm="edgeshop"');
    }
    // An admin asking for an unknown user still gets 404.
    const admin = await adminToken();
    expect((await api("GET", `/v1/users/usr_${"0".repeat(27)}9`, { token: admin })).body).toStrictEqual(problemOf(404, "NOT_FOUND", { detail: "User not found." }));
  });

  it("validates the country code (400) and needs a token (401)", async () => {
    const a = await newCustomer();
    for (const country of ["USA", "ZZ", "XA"]) {
      const bad = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, country } });
      expect(bad.status).toBe(400);
      expect(bad.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "country", message: expect.any(String) }] }));
    }
    // Lower case is refused too (ISO 3166-1 writes codes upper case), with a message that names the fix.
    for (const [country, upper] of [["us", "US"], ["Us", "US"], ["de", "DE"]]) {
      const bad = await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, country } });
      expect(bad.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "country", message: `Country codes are upper case: ${upper}` }] }));
    }
    const saved = await api("POST", "/v1/me/addresses", { token: a.token, body: address });
    const patched = await api("PATCH", `/v1/me/addresses/${(saved.body as { id: string }).id}`, { token: a.token, body: { country: "de" } });
    expect(patched.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "country", message: "Country codes are upper case: DE" }] }));
    // A code that is not a country in any case keeps its own message.
    expect((await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, country: "zz" } })).body).toStrictEqual(
      problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "country", message: "ISO 3166-1 alpha-2 country code, e.g. US" }] }),
    );
    // XK (Kosovo) is taken on purpose: a user-assigned code that carriers and payment providers use.
    expect((await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, country: "XK" } })).status).toBe(201);
    expect((await api("POST", "/v1/me/addresses", { body: address })).status).toBe(401);
  });

  it("changes and deletes the caller's own addresses only (another's is 404, like a missing one)", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    const created = (await api<{ id: string }>("POST", "/v1/me/addresses", { token: a.token, body: { ...address, line2: "Flat 2" } })).body;
    const path = `/v1/me/addresses/${created.id}`;
    const moved = await api("PATCH", path, { token: a.token, body: { city: "Shelbyville", line2: null } });
    expect(moved).toMatchObject({ status: 200, body: { ...created, city: "Shelbyville", line2: null } });
    for (const [body, field] of [[{}, "body"], [{ city: "" }, "city"], [{ country: "ZZ" }, "country"], [{ city: "X", userId: b.id }, "userId"]] as const) {
      const bad = await api("PATCH", path, { token: a.token, body });
      expect(bad.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: field, message: expect.any(String) }] }));
    }
    expect((await api("PATCH", path, { token: b.token, body: { city: "Elsewhere" } })).body).toStrictEqual(problemOf(404, "NOT_FOUND"));
    expect((await api("DELETE", path, { token: b.token })).body).toStrictEqual(problemOf(404, "NOT_FOUND"));
    expect((await api("GET", "/v1/me/addresses", { token: a.token })).body).toStrictEqual({ items: [moved.body] });
    expect((await api("DELETE", path, { token: a.token })).status).toBe(204);
    expect((await api("DELETE", path, { token: a.token })).body).toStrictEqual(problemOf(404, "NOT_FOUND"));
    expect((await api("GET", "/v1/me/addresses", { token: a.token })).body).toStrictEqual({ items: [] });
    expect((await api("DELETE", path)).status).toBe(401);
  });

  it("saves at most 50 addresses per account (409 CONFLICT beyond), even when the last places are raced for", async () => {
    const a = await newCustomer();
    for (let i = 0; i < 45; i++) expect((await api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, name: `A${i}` } })).status).toBe(201);
    const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => api("POST", "/v1/me/addresses", { token: a.token, body: { ...address, name: `B${i}` } })));
    expect(raced.filter((r) => r.status === 201)).toHaveLength(5);
    for (const r of raced.filter((r) => r.status !== 201)) expect(r.body).toStrictEqual(problemOf(409, "CONFLICT"));
    expect((await api<{ items: unknown[] }>("GET", "/v1/me/addresses", { token: a.token })).body.items).toHaveLength(50);
    // Deleting one makes room for one.
    const some = (await api<{ items: { id: string }[] }>("GET", "/v1/me/addresses", { token: a.token })).body.items[0]!;
    expect((await api("DELETE", `/v1/me/addresses/${some.id}`, { token: a.token })).status).toBe(204);
    expect((await api("POST", "/v1/me/addresses", { token: a.token, body: address })).status).toBe(201);
  });
});

describe("admin user listing", () => {
  it("lists users newest first with a working cursor", async () => {
    const admin = await adminToken();
    await newCustomer();
    await newCustomer();
    const first = await api<{ items: { id: string }[]; nextCursor: string | null }>("GET", "/v1/users?limit=1", { token: admin });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api<{ items: { id: string }[] }>("GET", `/v1/users?limit=1&cursor=${first.body.nextCursor}`, { token: admin });
    expect(second.body.items[0]!.id < first.body.items[0]!.id).toBe(true);
  });

  it("finds the one account with an email (as login compares it), and none for an unknown one", async () => {
    const admin = await adminToken();
    const target = await newCustomer("Findable");
    await newCustomer("Someone else");
    const found = await api<{ items: { id: string }[]; nextCursor: string | null }>("GET", `/v1/users?email=${encodeURIComponent(`  ${target.email.toUpperCase()} `)}`, { token: admin });
    expect(found.body).toStrictEqual({ items: [userShape(target.email, "Findable")], nextCursor: null });
    const none = await api("GET", `/v1/users?email=${encodeURIComponent(`nobody-${target.email}`)}`, { token: admin });
    expect(none.body).toStrictEqual({ items: [], nextCursor: null });
    const bad = await api("GET", "/v1/users?email=not-an-email", { token: admin });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: { path: string }[] }).errors[0]?.path).toBe("email");
  });

  it("dates a user when its id was minted, so newest first by id is newest first by createdAt, registrations at once too", async () => {
    const admin = await adminToken();
    const made = await Promise.all(Array.from({ length: 8 }, () => newCustomer()));
    for (const c of made) {
      const user = await api<{ id: string; createdAt: string }>("GET", `/v1/users/${c.id}`, { token: admin });
      expect(user.body.createdAt, c.id).toBe(new Date(timeOfId(c.id)!).toISOString());
    }
  });

  it("gets one user, 404 for an unknown id", async () => {
    const admin = await adminToken();
    const c = await newCustomer("Target");
    expect((await api("GET", `/v1/users/${c.id}`, { token: admin })).body).toStrictEqual(userShape(c.email, "Target"));
    const missing = await api("GET", "/v1/users/usr_000000000000ffffffffffffffff", { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body).toStrictEqual(problemOf(404, "NOT_FOUND"));
  });

  it("is 403 for customers, 401 anonymously, 400 for a bad limit", async () => {
    const c = await newCustomer();
    expect((await api("GET", "/v1/users", { token: c.token })).body).toStrictEqual(problemOf(403, "FORBIDDEN"));
    expect((await api("GET", `/v1/users/${c.id}`, { token: c.token })).status).toBe(403);
    expect((await api("GET", "/v1/users")).status).toBe(401);
    const admin = await adminToken();
    expect((await api("GET", "/v1/users?limit=0", { token: admin })).status).toBe(400);
    expect((await api("GET", "/v1/users?limit=101", { token: admin })).status).toBe(400);
  });
});
