import ArgumentParser
import Foundation

/// How often to checkpoint, as given by `--interval` (`90`, `30s`, `10m`, `1h`, `1d`).
///
/// Only whole seconds: checkpoints of MPI jobs take seconds at best, so finer
/// granularity would promise something the system cannot keep.
struct CheckpointInterval: Equatable, ExpressibleByArgument, CustomStringConvertible {
    /// The interval in seconds, always at least 1.
    let seconds: Int

    init(seconds: Int) {
        self.seconds = seconds
    }

    /// Parses `<count>[s|m|h|d]`; a bare count means seconds.
    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let unitIndex = text.firstIndex(where: { !("0"..."9").contains($0) }) ?? text.endIndex
        let digits = text[..<unitIndex]
        let unit = text[unitIndex...]
        let multiplier: Int
        switch unit {
        case "", "s", "sec": multiplier = 1
        case "m", "min": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        default: return nil
        }
        guard !digits.isEmpty, let count = Int(digits), count > 0 else { return nil }
        let (total, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        self.seconds = total
    }

    /// Parses like `init?(argument:)` but says what is expected, for `--interval`'s error message.
    init(parsing argument: String) throws {
        if argument.hasPrefix("-") { throw ValidationError("a duration must be positive, not \(argument)") }
        guard let interval = CheckpointInterval(argument: argument) else {
            throw ValidationError("expected a positive number of seconds, optionally with a unit s, m, h or d (30s, 10m, 1h)")
        }
        self = interval
    }

    var description: String { "\(seconds)s" }
}
