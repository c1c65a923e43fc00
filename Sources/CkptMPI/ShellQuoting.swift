/// Quoting for command lines we show to users, so what `--verbose` and
/// `--dry-run` print can be pasted back into a POSIX shell unchanged.
enum ShellQuoting {
    private static let safeCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-^")

    /// `word` as one shell word: bare when that is unambiguous, else single-quoted.
    static func quote(_ word: String) -> String {
        if !word.isEmpty && word.allSatisfy(safeCharacters.contains) { return word }
        // Inside single quotes nothing is special except the quote itself: close, escape, reopen.
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }

    /// A whole command line.
    static func join(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
