/// CronScheduleTests.swift: schedules' cron expressions read as crontab(5) reads them.
import Engine
import Foundation
import TestSupport
import Testing

@Suite struct CronScheduleTests {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func fieldsMatchTheirMinutes() throws {
        let nightly = try CronSchedule("0 2 * * *")
        #expect(nightly.matches(Self.date("2026-11-29T02:00:00Z"), in: Self.utc))
        #expect(!nightly.matches(Self.date("2026-11-29T02:01:00Z"), in: Self.utc))
        let steps = try CronSchedule("*/15 9-17 * * 1-5")
        #expect(steps.matches(Self.date("2026-11-30T09:45:00Z"), in: Self.utc)) // a Monday
        #expect(!steps.matches(Self.date("2026-11-29T09:45:00Z"), in: Self.utc)) // a Sunday
        #expect(!steps.matches(Self.date("2026-11-30T18:00:00Z"), in: Self.utc))
        // Sunday is 0 and 7; a restricted day of month or day of week: either matches.
        #expect(try CronSchedule("0 0 * * 7").matches(Self.date("2026-11-29T00:00:00Z"), in: Self.utc))
        let either = try CronSchedule("0 0 1 * 1")
        #expect(either.matches(Self.date("2026-12-01T00:00:00Z"), in: Self.utc)) // the 1st, a Tuesday
        #expect(either.matches(Self.date("2026-11-30T00:00:00Z"), in: Self.utc)) // a Monday
        #expect(!either.matches(Self.date("2026-12-02T00:00:00Z"), in: Self.utc))
    }

    @Test func ticksBetweenTwoInstants() throws {
        let hourly = try CronSchedule("30 * * * *")
        let ticks = hourly.ticks(after: Self.date("2026-11-29T00:30:00Z"), through: Self.date("2026-11-29T03:30:00Z"), in: Self.utc)
        #expect(ticks == ["01:30", "02:30", "03:30"].map { Self.date("2026-11-29T\($0):00Z") })
        // A time zone moves the ticks.
        var paris = Calendar(identifier: .gregorian)
        paris.timeZone = TimeZone(identifier: "Europe/Paris")!
        let early = try CronSchedule("0 2 * * *").ticks(after: Self.date("2026-11-28T12:00:00Z"), through: Self.date("2026-11-29T12:00:00Z"), in: paris)
        #expect(early == [Self.date("2026-11-29T01:00:00Z")])
    }

    static func calendar(_ zone: String) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        return calendar
    }

    /// New York's clock went from 2:00 back to 1:00 on 2026-11-01 (06:00 UTC), and from 2:00 on
    /// to 3:00 on 2026-03-08 (07:00 UTC). A nightly job runs once each of those nights, as
    /// cron(8) runs it; one with `*` in its minute or hour follows the clock.
    @Test func aChangeOfTheClockRunsANightlyJobOnce() throws {
        let newYork = Self.calendar("America/New_York")
        func ticks(_ cron: String, _ from: String, _ to: String) throws -> [Date] {
            try CronSchedule(cron).ticks(after: Self.date(from), through: Self.date(to), in: newYork)
        }
        // 1:30 comes twice: the first runs, the second does not.
        #expect(try ticks("30 1 * * *", "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z") == [Self.date("2026-11-01T05:30:00Z")])
        #expect(try ticks("0,30 1 * * *", "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z") == ["05:00", "05:30"].map { Self.date("2026-11-01T\($0):00Z") })
        // 2:30 never comes: it runs at the change (3:00), once however many of its times were skipped.
        #expect(try ticks("30 2 * * *", "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z") == [Self.date("2026-03-08T07:00:00Z")])
        #expect(try ticks("15,45 2 * * *", "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z") == [Self.date("2026-03-08T07:00:00Z")])
        #expect(try ticks("30 2 * * *", "2026-03-08T12:00:00Z", "2026-03-09T12:00:00Z") == [Self.date("2026-03-09T06:30:00Z")])
        // A skipped time on a day the schedule does not name stays skipped (the 8th is a Sunday).
        #expect(try ticks("30 2 * * 1", "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z") == [])
        // `*` follows the clock: every half hour of real time, and no 2:30 on the short night.
        #expect(try ticks("*/30 1 * * *", "2026-11-01T04:59:00Z", "2026-11-01T07:00:00Z")
                == ["05:00", "05:30", "06:00", "06:30"].map { Self.date("2026-11-01T\($0):00Z") })
        #expect(try ticks("30 * * * *", "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z") == ["06:30", "07:30"].map { Self.date("2026-03-08T\($0):00Z") })
    }

    /// Around each change of the clock in 2026, in zones moving by an hour, half an hour, or
    /// not at all, a job at a set time runs once a day, whatever its time.
    @Test(arguments: ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata"])
    func aJobAtASetTimeRunsOnceADayAcrossChanges(_ zone: String) throws {
        let calendar = Self.calendar(zone)
        var changes: [Date] = []
        var after = Self.date("2026-01-01T00:00:00Z")
        while let change = calendar.timeZone.nextDaylightSavingTimeTransition(after: after), change < Self.date("2027-01-01T00:00:00Z") {
            changes.append(change)
            after = change
        }
        #expect(changes.count == (zone == "Asia/Kolkata" ? 0 : 2))
        for change in changes + [Self.date("2026-06-15T00:00:00Z")] {
            for time in ["0 0", "30 1", "59 1", "0 2", "15 2", "30 2", "45 2", "0 3", "30 3"] {
                let start = calendar.startOfDay(for: change.addingTimeInterval(-86_400)).addingTimeInterval(-1)
                var ticks: [Date] = []
                var day = start
                for _ in 0..<3 {
                    let next = calendar.date(byAdding: .day, value: 1, to: day.addingTimeInterval(1))!.addingTimeInterval(-1)
                    ticks += try CronSchedule("\(time) * * *").ticks(after: day, through: next, in: calendar)
                    day = next
                }
                #expect(ticks.count == 3, "\(time) * * * in \(zone) around \(change): \(ticks)")
                #expect(Set(ticks.map { calendar.startOfDay(for: $0) }).count == 3, "\(time) * * * in \(zone) around \(change): one a day")
            }
        }
    }

    /// Ticks missed while no worker looked run once, the latest: an every-minute schedule
    /// after eight hours queues one run, not 480; a nightly one after three days, last night's.
    @Test func missedTicksRunOnceTheLatest() throws {
        let everyMinute = try CronSchedule("* * * * *")
        let after = everyMinute.dueTick(after: Self.date("2026-11-29T00:00:30Z"), through: Self.date("2026-11-29T08:00:30Z"), in: Self.utc)
        #expect(after?.tick == Self.date("2026-11-29T08:00:00Z") && after?.missed == 479)
        let nightly = try CronSchedule("0 2 * * *")
        let back = nightly.dueTick(after: Self.date("2026-11-26T12:00:00Z"), through: Self.date("2026-11-29T12:00:00Z"), in: Self.utc)
        #expect(back?.tick == Self.date("2026-11-29T02:00:00Z") && back?.missed == 0)
        // A look a second after the last: one tick at most, or none.
        #expect(everyMinute.dueTick(after: Self.date("2026-11-29T08:00:00Z"), through: Self.date("2026-11-29T08:00:01Z"), in: Self.utc) == nil)
        let one = everyMinute.dueTick(after: Self.date("2026-11-29T07:59:59Z"), through: Self.date("2026-11-29T08:00:00Z"), in: Self.utc)
        #expect(one?.tick == Self.date("2026-11-29T08:00:00Z") && one?.missed == 0)
    }

    @Test(arguments: [
        ("0 2 * *", "'0 2 * *' has 4 fields; cron takes five: minute hour day-of-month month day-of-week"),
        ("61 * * * *", "the minute field '61' goes outside 0-59"),
        ("* 5-3 * * *", "the hour field '5-3' has a range that is not low-high"),
        ("*/0 * * * *", "the minute field '*/0' has a step that is not a positive number"),
        ("* * * jan *", "the month field 'jan' is not a number, a range or *"),
        // `n/step` past the field's end trapped making the range n...end.
        ("70/5 * * * *", "the minute field '70/5' goes outside 0-59"),
        ("* * * 13/2 *", "the month field '13/2' goes outside 1-12"),
        ("0 0 31 2 *", "'0 0 31 2 *' never runs: day 31 of the month is in none of its months"),
        ("0 0 30,31 2 *", "'0 0 30,31 2 *' never runs: days 30, 31 of the month are in none of its months"),
        ("0 0 31 4,6 *", "'0 0 31 4,6 *' never runs: day 31 of the month is in none of its months"),
        ("0\u{1} 0 * * *", "the minute field '0\\u{1}' is not a number, a range or *"),
    ])
    func mistakesSayWhichField(_ text: String, _ message: String) {
        #expect(throws: CronError.self) { try CronSchedule(text) }
        do {
            _ = try CronSchedule(text)
        } catch {
            #expect(error.description == message)
        }
    }

    /// A day that only some months have runs in those: February 29th, the 31st of the
    /// months that have one; a day of the week as well makes either day run.
    @Test func daysSomeMonthsLackRunInTheOthers() throws {
        #expect(try CronSchedule("0 0 29 2 *").matches(Self.date("2028-02-29T00:00:00Z"), in: Self.utc))
        #expect(try CronSchedule("0 0 31 * *").matches(Self.date("2026-12-31T00:00:00Z"), in: Self.utc))
        #expect(try CronSchedule("0 0 31 2 1").matches(Self.date("2027-02-01T00:00:00Z"), in: Self.utc)) // a Monday
    }

    /// Any text is read, or refused in one line; never a crash. A schedule read finds its
    /// minutes in a day's ticks when its fields allow any day.
    @Test func anyExpressionIsReadOrRefusedInOneLine() {
        var random = SplitMix64(seed: 0xC2_0A)
        let pieces = ["*", "*/", "/", "-", ",", "0", "1", "2", "5", "7", "12", "13", "23", "24", "29", "30", "31", "32", "59", "60", "61", "70",
                      "99999999999999999999", "-1", "x", "\n", "\u{2028}", "\u{1}", " "]
        var read = 0
        for _ in 0..<20_000 {
            // Mostly five fields of a few pieces each, sometimes more or fewer.
            let fields = [4, 5, 5, 5, 5, 5, 6].randomElement(using: &random)!
            let text = (0..<fields).map { _ in
                Bool.random(using: &random) ? "*"
                    : (0..<Int.random(in: 1...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            }.joined(separator: " ")
            do {
                _ = try CronSchedule(text)
                read += 1
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\u{2028}") && error.description.count < 300, "\(error)")
            }
        }
        #expect(read > 100, "the draw reaches schedules that read")
    }
}
