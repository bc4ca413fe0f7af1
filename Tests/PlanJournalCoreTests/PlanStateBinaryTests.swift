import Foundation
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCore

@Suite struct PlanStateBinaryTests {
    private func contractStates() throws -> [PlanState] {
        let events = try Fixtures.lines(Fixtures.validContract).map { try JournalEvent(parsing: $0) }
        var states: [PlanState] = []
        for run in Set(events.map(\.run)).sorted() {
            let own = events.filter { $0.run == run }
            for seq in [1, own.count / 2, own.count] where seq >= 1 {
                states.append(PlanProjection().fold(run: run, own.prefix(seq)))
            }
        }
        return states
    }

    @Test func theBinaryFormReadsBackTheSameState() throws {
        for state in try contractStates() {
            let bytes = state.binaryEncoded()
            #expect(PlanState.isBinary(bytes))
            let back = try PlanState(binary: bytes)
            #expect(back == state)
            #expect(back.step(state.steps.first?.id ?? "") == state.steps.first)
        }
    }

    @Test func jsonIsNotTakenForTheBinaryForm() throws {
        for state in try contractStates() {
            let json = Array(try JSONEncoder().encode(state))
            #expect(!PlanState.isBinary(json))
        }
    }

    @Test func cutOrDamagedBinaryStatesAreRefused() throws {
        let bytes = try #require(try contractStates().last).binaryEncoded()
        for cut in [4, bytes.count / 2, bytes.count - 1] {
            #expect(throws: BinaryStateError.self) { try PlanState(binary: Array(bytes.prefix(cut))) }
        }
        #expect(throws: BinaryStateError.self) { try PlanState(binary: bytes + [0]) }
    }
}
