import CkptHMAC
#if canImport(Glibc)
import Glibc
#endif

/// The per-job secret a connection over TCP proves it knows (docs/checkpoint-protocol.md, "TCP").
///
/// Made fresh at every `run` and `restart` that listens on TCP, handed to the ranks in
/// their environment only, and never sent on the wire: the coordinator sends a nonce and
/// the engine answers HMAC-SHA256(secret, nonce).
struct JobSecret: Equatable {
    /// How the launch plan hands the secret (64 hex digits) to every rank.
    static let environmentVariable = "CKPT_MPI_SECRET"

    /// The 32 secret bytes.
    let bytes: [UInt8]

    /// 32 bytes from the kernel's random generator.
    static func make() -> JobSecret {
        JobSecret(bytes: randomBytes(Int(CKPT_SECRET_SIZE)))
    }

    /// `count` bytes from the kernel's random generator (getrandom via SystemRandomNumberGenerator).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The secret from its 64 hex digits; nil for anything else.
    init?(hex: String) {
        guard let bytes = Self.decode(hex), bytes.count == Int(CKPT_SECRET_SIZE) else { return nil }
        self.bytes = bytes
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The value of CKPT_MPI_SECRET.
    var hex: String { Self.encode(bytes) }

    /// HMAC-SHA256(secret, message).
    func mac(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(CKPT_SHA256_SIZE))
        bytes.withUnsafeBytes { key in
            message.withUnsafeBytes { msg in
                ckpt_hmac_sha256(key.baseAddress, key.count, msg.baseAddress, msg.count, &out)
            }
        }
        return out
    }

    /// Whether `answer` is the MAC of `nonce`, compared in constant time.
    func verifies(_ answer: [UInt8], for nonce: [UInt8]) -> Bool {
        let expected = mac(nonce)
        guard answer.count == expected.count else { return false }
        return ckpt_equal_ct(answer, expected, expected.count) == 1
    }

    /// Lower-case hex digits.
    static func encode(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        ckpt_hex_encode(bytes, bytes.count, &text)
        return String(nulTerminated: text)
    }

    /// The bytes of an even number of hex digits; nil for anything else.
    static func decode(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: digits.count / 2)
        let ok = hex.withCString { ckpt_hex_decode($0, &out, out.count) == 0 }
        return ok ? out : nil
    }
}
