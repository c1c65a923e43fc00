import Foundation

/// The JSON conventions of every file and output of the checkpoint side: snake_case
/// keys (what shell and Python scripts expect), sorted keys, ISO 8601 times.
enum CheckpointJSON {
    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// `value` as one line (status replies, `--json` of list) or pretty (files).
    static func encode<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        var data = try encoder(pretty: pretty).encode(value)
        if pretty { data.append(0x0a) }
        return data
    }

    static func string<T: Encodable>(_ value: T, pretty: Bool = false) -> String {
        (try? encode(value, pretty: pretty)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads and decodes `path`, with a one-line error naming the file.
    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemCallError("open", path, errno: access(path, F_OK) == 0 ? EACCES : ENOENT)
        }
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw CLIFailure("\(path) is damaged or not a ckpt-mpi file (\(error.localizedDescription))")
        }
    }

    /// Now, as ISO 8601 UTC with seconds.
    static func timestamp(_ date: Date = Date()) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
