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
        guard !data.isEmpty else { throw CLIFailure("\(path) is damaged: the file is empty") }
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw CLIFailure("\(path) is damaged: \(explain(error))")
        } catch {
            throw CLIFailure("\(path) is damaged: \(error)")
        }
    }

    /// What is wrong, in the file's own key names (Foundation's text says only "isn't in the correct format").
    static func explain(_ error: DecodingError) -> String {
        func key(_ path: [CodingKey], _ last: CodingKey? = nil) -> String {
            let keys = (path + (last.map { [$0] } ?? [])).map { key -> String in
                if let index = key.intValue { return "[\(index)]" }
                return "." + snakeCase(key.stringValue)
            }
            let joined = keys.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
        }
        switch error {
        case let .keyNotFound(missing, context):
            return "'\(key(context.codingPath, missing))' is missing"
        case let .valueNotFound(_, context):
            return "'\(key(context.codingPath))' is null"
        case let .typeMismatch(type, context):
            return "'\(key(context.codingPath))' is not \(describe(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
            }
            return "'\(key(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "an object" : "a \(name)"
        }
    }

    private static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Now, as ISO 8601 UTC with seconds.
    static func timestamp(_ date: Date = Date()) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
