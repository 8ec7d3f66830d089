/// NearNames.swift: "did you mean …?" — the names a mistyped one was probably meant to be,
/// for roster.toml keys, plugin permissions, `help` topics and script errors alike.

/// Names within a few edits of a mistyped one.
public enum NearNames {
    /// The edit distance between `a` and `b`: the fewest one-character insertions, deletions,
    /// substitutions and swaps of two neighbours that turn one into the other (the optimal
    /// string alignment distance). A swap is the commonest typo (`emial`, `rnu`), so it
    /// counts as one edit, not two.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }

    /// How many edits a name of this length may be from what it meant: short names are near
    /// too much (`t.foo` is two edits from `math.cos`, `eu` one from `us`), so one edit for
    /// three to five letters, two from six, none for one or two.
    public static func limit(for name: String) -> Int {
        name.count >= 6 ? 2 : name.count >= 3 ? 1 : 0
    }

    /// The candidates within `limit` edits of `name`, nearest first, equally near ones in
    /// alphabetical order. `key` gives the part of a candidate that is compared (`get_user`
    /// of `encore.get_user`).
    public static func near(_ name: String, in candidates: some Sequence<String>, within limit: Int = 2,
                            comparing key: (String) -> Substring = { Substring($0) }) -> [String] {
        candidates.compactMap { candidate -> (String, Int)? in
            let compared = key(candidate)
            // Lengths further apart than the limit cannot be within it: no need to count.
            guard abs(compared.count - name.count) <= limit else { return nil }
            let edits = distance(name, String(compared))
            return edits <= limit ? (candidate, edits) : nil
        }
        .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        .map(\.0)
    }
}
