/// WhenTests.swift: times as Roster writes them — ISO 8601 for machines, a plain UTC time for
/// tables — the same text a date formatter gives, without its per-call cost.
import ArgumentParser
import Foundation
@testable import RosterCLI
import Testing

@Suite struct WhenTests {
    @Test func timesReadAsTheFormattersWroteThem() {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let table = DateFormatter()
        table.locale = Locale(identifier: "en_US_POSIX")
        table.timeZone = TimeZone(identifier: "UTC")
        table.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var generator = SystemRandomNumberGenerator()
        // Milliseconds on either side of a second, leap days, the epoch and before it, and
        // exact half milliseconds on both sides of it (they round up, toward the future).
        let fixed: [Double] = [0, -0.5, -86_400.25, 951_782_400.999, 1_764_670_790.052, 4_102_444_799.9995, 1_709_164_800.001,
                               -1.0625, -0.0005, 1.0625, -804_000_000.0625]
        let random = (0..<2_000).map { _ in Double.random(in: -1e9...4e9, using: &generator) }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(When.iso(date) == iso.string(from: date), "\(seconds)")
            #expect(When.text(date) == table.string(from: date), "\(seconds)")
        }
        #expect(When.iso(Date(timeIntervalSince1970: 1_764_670_790.052)) == "2025-12-02T10:19:50.052Z")
        #expect(When.iso(Date(timeIntervalSince1970: -1.0625)) == "1969-12-31T23:59:58.938Z")
    }

    /// A date or time a calendar does not have is refused, naming the field: the formatters
    /// read 2026-02-30 as March 2nd, and 2026-12-31T23:60:00Z as the date alone, so a typo
    /// in `submit --at` queued the run 23 hours early.
    @Test func aDayOrTimeNoCalendarHasIsRefused() throws {
        let refused = [("2026-02-29", "day"), ("2026-02-30T10:00:00Z", "day"), ("2026-04-31", "day"), ("2026-13-01", "month"),
                       ("2026-00-10", "month"), ("2026-12-31T25:00:00Z", "hour"), ("2026-12-31T23:60:00Z", "minute"),
                       ("2026-12-31T23:59:60Z", "second"), ("2026-12-00T10:00:00+02:00", "day")]
        for (text, field) in refused {
            for parse in [When.parse, When.parseFuture] {
                let error = #expect(throws: ValidationError.self, "\(text)") { try parse(text, "--at") }
                #expect(error?.message == "--at: '\(text)' names no such \(field); give a time as 2026-11-29T22:00:00Z or a date as 2026-11-29", "\(text)")
            }
        }
        // A date with anything after it that is not a time is no date.
        for text in ["2026-12-31T23:59:00X", "2026-12-31 10:00", "2026-12-31junk"] {
            #expect(throws: ValidationError.self, "\(text)") { try When.parseFuture(text, option: "--at") }
        }
        #expect(try When.parse("2028-02-29", option: "--since") == ISO8601DateFormatter().date(from: "2028-02-29T00:00:00Z"))
        #expect(try When.parse("2026-12-31T23:59:59Z", option: "--since") == ISO8601DateFormatter().date(from: "2026-12-31T23:59:59Z"))
        #expect(try When.parse("2026-12-31T23:59:59+02:00", option: "--since") == ISO8601DateFormatter().date(from: "2026-12-31T21:59:59Z"))
    }

    /// An age or a delay is at most a hundred years: past it the time's milliseconds did
    /// not fit an Int64, and `runs prune --before 99999999999999999d` or `submit --at` trapped.
    @Test func agesAndDelaysAreBounded() throws {
        let now = Date()
        #expect(abs(try When.parse("36500d", option: "--since").timeIntervalSince(now) + 36_500 * 86_400) < 60)
        #expect(abs(try When.parseFuture("1.5h", option: "--at").timeIntervalSince(now) - 5_400) < 60)
        for text in ["36501d", "99999999999999999d", "1e300h", "infs"] {
            #expect(throws: ValidationError.self, "\(text)") { try When.parse(text, option: "--since") }
            #expect(throws: ValidationError.self, "\(text)") { try When.parseFuture(text, option: "--at") }
        }
        #expect(throws: ValidationError.self) { try When.parse("nans", option: "--since") }
    }
}
