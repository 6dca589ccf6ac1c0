import FoundationEssentials

/// Reads a `.env` file: `KEY=value` lines, `#` comments, optional `export ` and quotes.
/// A missing file is simply empty; the original app used one, so it stays a fallback.
enum DotEnv {
    static func load(path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmed
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmed }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmed
            var value = line[line.index(after: eq)...].trimmed
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.commentStart {
                value = value[..<hash].trimmed
            }
            if !key.isEmpty { values[key] = value }
        }
        return values
    }
}

private extension String {
    /// Where an unquoted value's ` #` comment starts, if it has one.
    var commentStart: String.Index? {
        var previous: Character = "x"
        for i in indices {
            if self[i] == "#", previous == " " || previous == "\t" { return i }
            previous = self[i]
        }
        return nil
    }
}
