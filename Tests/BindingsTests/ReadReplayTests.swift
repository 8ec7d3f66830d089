/// ReadReplayTests.swift: a confirmed run's reads answered as its rehearsal's were — each
/// read's answers in order, once each, whatever the number of repeats.
import Testing
@testable import Bindings
import Vendors

@Suite struct ReadReplayTests {
    @Test func aRepeatedReadGetsItsAnswersInOrderThenGoesToTheVendor() {
        let replay = ReadReplay()
        for index in 0..<10_000 { replay.keep("encore.get_user 1001", .json(.int(index))) }
        replay.keep("encore.get_user 1002", .json(.string("other")))
        #expect(replay.take("encore.get_user 1001")?.json == nil, "nothing is replayed while the rehearsal keeps")
        replay.startReplaying()
        var taken: [JSONValue] = []
        while let answer = replay.take("encore.get_user 1001")?.json { taken.append(answer) }
        #expect(taken == (0..<10_000).map { JSONValue.int($0) })
        #expect(replay.take("encore.get_user 1002")?.json == .string("other"))
        #expect(replay.take("encore.get_user 1003")?.json == nil)
    }

    @Test func aChangeSentEndsTheReplay() {
        let replay = ReadReplay()
        replay.keep("active911.get_member 7", .json(.int(1)))
        replay.keep("active911.get_member 7", .json(.int(2)))
        replay.startReplaying()
        #expect(replay.usesKeys)
        #expect(replay.take("active911.get_member 7")?.json == .int(1))
        replay.changeSent()
        #expect(replay.take("active911.get_member 7")?.json == nil, "after a change, a read goes to the vendor")
        #expect(!replay.usesKeys, "a read that goes to the vendor needs no key")
    }

    /// What a rehearsal reads after its first planned change is never replayed (the real
    /// pass reads live from its first change on): it is not kept, so a long script that
    /// changes, then reads, holds no answers it will not give.
    @Test func aPlannedChangeEndsTheKeeping() {
        let replay = ReadReplay()
        #expect(replay.usesKeys)
        replay.keep("encore.get_user 1001", .json(.int(1)))
        replay.changePlanned()
        #expect(!replay.usesKeys, "nothing is kept after a planned change")
        replay.keep("encore.get_user 1001", .json(.int(2)))
        replay.keep("encore.get_user 1002", .json(.int(3)))
        replay.startReplaying()
        #expect(replay.take("encore.get_user 1001")?.json == .int(1))
        #expect(replay.take("encore.get_user 1001")?.json == nil, "read after the planned change: not kept")
        #expect(replay.take("encore.get_user 1002")?.json == nil)
    }

    /// A rehearsal that reads more than the budget keeps its first reads only: the run
    /// replays those, in order, and reads the rest live; memory stays bounded.
    @Test func aRehearsalKeepsNoMoreThanItsBudget() {
        let user = JSONValue.object(["UserId": .int(1001), "UserName": .string("ada"), "Email": .string("ada@example.com"), "IsActive": .bool(true)])
        let size = "encore.get_user 1001".utf8.count + user.estimatedMemory
        #expect(size > 100 && size < 1_000, "\(size)")
        let replay = ReadReplay(keptBytes: size * 3)
        for _ in 0..<5 { replay.keep("encore.get_user 1001", .json(user)) }
        #expect(!replay.usesKeys, "a full budget ends the keeping: no more keys are made")
        replay.keep("encore.get_user 1002", .json(.int(1))) // small enough, but after the budget ran out
        replay.startReplaying()
        var taken = 0
        while replay.take("encore.get_user 1001")?.json != nil { taken += 1 }
        #expect(taken == 3)
        #expect(replay.take("encore.get_user 1002")?.json == nil, "kept only while the budget lasted")
        #expect(ReadReplay().budget.bytes == ReadReplay.defaultBudget)
    }

    /// The rows of a run row by row share one budget: 500 rows do not keep 500 budgets' worth.
    @Test func rowsShareOneBudget() {
        let rows = RowReadReplays(keptBytes: 100)
        let answer = JSONValue.string(String(repeating: "x", count: 40)) // 64 bytes, with its key 65
        rows.forRow(1).keep("k", .json(answer))
        rows.forRow(2).keep("k", .json(answer))
        rows.startReplaying()
        #expect(rows.forRow(1).take("k")?.json == answer)
        #expect(rows.forRow(2).take("k")?.json == nil, "the first row's answer used most of the budget")
    }
}
