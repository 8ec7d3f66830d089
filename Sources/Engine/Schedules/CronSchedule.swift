/// CronSchedule.swift: cron's five fields (minute, hour, day of month, month, day of week),
/// as crontab(5) reads them: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`,
/// Sunday as 0 or 7; when both days are restricted, a day matching either runs. Across a change
/// of the clock (daylight saving time), ticks follow Debian's cron(8): see `ticks`.
import Foundation
import LuaHost

/// When a schedule runs.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let anyDay: Bool
    let anyWeekday: Bool
    /// Neither the minute nor the hour field begins with `*`: a job at set times of day, which
    /// cron runs once a day across a change of the clock (see `ticks`).
    let atSetTimes: Bool

    /// Reads `text`; a mistake says which field and why.
    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw CronError("'\(QuotedText.shown(text))' has \(fields.count) field\(fields.count == 1 ? "" : "s"); cron takes five: minute hour day-of-month month day-of-week")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.values(fields[0], "minute", 0...59)
        hours = try Self.values(fields[1], "hour", 0...23)
        days = try Self.values(fields[2], "day of month", 1...31)
        months = try Self.values(fields[3], "month", 1...12)
        // 7 is Sunday too.
        weekdays = Set(try Self.values(fields[4], "day of week", 0...7).map { $0 % 7 })
        anyDay = fields[2] == "*"
        anyWeekday = fields[4] == "*"
        atSetTimes = !fields[0].hasPrefix("*") && !fields[1].hasPrefix("*")
        // Days of the month alone (any weekday) that no month named has, as in `0 0 31 2 *`:
        // cron takes it and never runs it; an admin waiting for it is told now.
        if !anyDay && anyWeekday && !months.contains(where: { month in days.contains { $0 <= Self.longest[month - 1] } }) {
            let sorted = days.sorted().map(String.init)
            throw CronError("'\(description)' never runs: day\(sorted.count == 1 ? "" : "s") \(sorted.joined(separator: ", ")) of the month "
                + "\(sorted.count == 1 ? "is" : "are") in none of its months")
        }
    }

    /// The most days each month has (February's in a leap year).
    private static let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// Whether the minute starting at `date` is one of the schedule's, in `calendar`'s zone.
    public func matches(_ date: Date, in calendar: Calendar) -> Bool {
        let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month, let weekday = parts.weekday
        else { return false }
        guard minutes.contains(minute), hours.contains(hour), months.contains(month) else { return false }
        let dayMatches = days.contains(day), weekdayMatches = weekdays.contains(weekday - 1)
        switch (anyDay, anyWeekday) {
        case (true, true): return true
        case (false, true): return dayMatches
        case (true, false): return weekdayMatches
        case (false, false): return dayMatches || weekdayMatches
        }
    }

    /// The schedule's minutes after `start` up to and including `end` (at most a day's worth).
    ///
    /// When the clock changes by less than three hours (daylight saving time), a schedule at set
    /// times (`30 2 * * *`) runs as Debian's cron(8) runs it: a time the clock skipped runs at
    /// the change, and a time the clock goes through twice runs the first time only, so a
    /// nightly job runs once each night. A schedule with `*` in its minute or hour (`*/15 * * * *`)
    /// follows the clock.
    public func ticks(after start: Date, through end: Date, in calendar: Calendar) -> [Date] {
        var ticks: [Date] = []
        var minute = (start.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
        let last = min(end.timeIntervalSince1970, minute + 86_400)
        let zone = calendar.timeZone
        while minute <= last {
            let date = Date(timeIntervalSince1970: minute)
            if atSetTimes {
                if matches(date, in: calendar) ? !Self.isSecondPass(date, in: zone) : matchesSkippedTime(at: date, in: zone) {
                    ticks.append(date)
                }
            } else if matches(date, in: calendar) {
                ticks.append(date)
            }
            minute += 60
        }
        return ticks
    }

    /// The tick to queue for the minutes after `start` up to and including `end` (the last
    /// day of them at most), and how many earlier ticks in them it stands for. A worker looks
    /// about every second, so there is one at most; more come when no worker looked for a
    /// while (every host down, a machine asleep): the latest runs once, as anacron runs a
    /// missed job, not once per tick missed (an every-minute schedule would queue 1,440 runs
    /// after a day).
    public func dueTick(after start: Date, through end: Date, in calendar: Calendar) -> (tick: Date, missed: Int)? {
        let ticks = ticks(after: max(start, end.addingTimeInterval(-86_400)), through: end, in: calendar)
        return ticks.last.map { ($0, ticks.count - 1) }
    }

    /// The longest change of the clock handled as daylight saving time, as in cron(8).
    private static let longestClockChange = 3 * 3_600

    /// Whether the clock moved forward at `date` past a time of day the schedule names.
    private func matchesSkippedTime(at date: Date, in zone: TimeZone) -> Bool {
        let before = zone.secondsFromGMT(for: date.addingTimeInterval(-60)), after = zone.secondsFromGMT(for: date)
        guard after > before, after - before <= Self.longestClockChange, let oldClock = TimeZone(secondsFromGMT: before) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = oldClock
        // On the old clock, the skipped times of day are the minutes from the change on.
        return stride(from: 0, to: after - before, by: 60).contains { matches(date.addingTimeInterval(Double($0)), in: calendar) }
    }

    /// Whether the clock already showed `date`'s time of day, before it moved back.
    private static func isSecondPass(_ date: Date, in zone: TimeZone) -> Bool {
        let now = zone.secondsFromGMT(for: date)
        let moved = zone.secondsFromGMT(for: date.addingTimeInterval(-Double(longestClockChange))) - now
        guard moved > 0 else { return false }
        // The instant that showed the same time of day on the clock before it moved back.
        return zone.secondsFromGMT(for: date.addingTimeInterval(-Double(moved))) - now == moved
    }

    private static func values(_ field: String, _ name: String, _ range: ClosedRange<Int>) throws(CronError) -> Set<Int> {
        var values = Set<Int>()
        let shown = QuotedText.shown(field)
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let span = pieces.first, !span.isEmpty else { throw CronError("the \(name) field '\(shown)' is not valid") }
            var step = 1
            if pieces.count == 2 {
                guard let number = Int(pieces[1]), number > 0 else { throw CronError("the \(name) field '\(shown)' has a step that is not a positive number") }
                step = number
            }
            let low: Int, high: Int
            if span == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = span.firstIndex(of: "-") {
                guard let first = Int(span[..<dash]), let last = Int(span[span.index(after: dash)...]), first <= last else {
                    throw CronError("the \(name) field '\(shown)' has a range that is not low-high")
                }
                (low, high) = (first, last)
            } else {
                guard let number = Int(span) else { throw CronError("the \(name) field '\(shown)' is not a number, a range or *") }
                // `n/step` runs from n to the field's end; checked before it becomes a range,
                // since `70/5` in the minutes would make 70...59.
                (low, high) = (number, pieces.count == 2 ? max(number, range.upperBound) : number)
            }
            guard range.contains(low), range.contains(high) else {
                throw CronError("the \(name) field '\(shown)' goes outside \(range.lowerBound)-\(range.upperBound)")
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }
}

/// A cron expression that cannot be read.
public struct CronError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
