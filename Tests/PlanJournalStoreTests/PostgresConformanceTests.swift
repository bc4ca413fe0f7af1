import PlanJournalTestSupport
import Testing

/// The backend conformance suite (``JournalConformance``) on PostgreSQL: the same checks as
/// `SQLiteConformanceTests`, each journal a fresh database on the server
/// `$PLANJ_TEST_POSTGRES_URL` names (tools/test.sh starts one). Without it every check is skipped
/// with a loud banner, or fails when `PLANJ_REQUIRE_POSTGRES=1` (CI).
@Suite struct PostgresConformanceTests {
    let suite = PostgresFixture.fromEnvironment().map { JournalConformance($0) }

    @Test func appendSingleAndBatch() async throws { try await suite?.appendSingleAndBatch() }
    @Test func expectedSeqConflictsWriteNothing() async throws { try await suite?.expectedSeqConflictsWriteNothing() }
    @Test func staleCachedHeadConflictsAndWritesNothing() async throws { try await suite?.staleCachedHeadConflictsAndWritesNothing() }
    @Test func concurrentAppendersToOneRunWinOncePerSeq() async throws { try await suite?.concurrentAppendersToOneRunWinOncePerSeq() }
    @Test func concurrentWritersToDisjointRunsLoseNothing() async throws { try await suite?.concurrentWritersToDisjointRunsLoseNothing() }
    @Test func validationErrorsLeaveTheJournalUnchanged() async throws { try await suite?.validationErrorsLeaveTheJournalUnchanged() }
    @Test func repeatedEventsOfOneIngestAreSkipped() async throws { try await suite?.repeatedEventsOfOneIngestAreSkipped() }
    @Test func readsTheContractBackValueForValue() async throws { try await suite?.readsTheContractBackValueForValue() }
    @Test func readsInOrder() async throws { try await suite?.readsInOrder() }
    @Test func forksReadThroughTheirParent() async throws { try await suite?.forksReadThroughTheirParent() }
    @Test func aRunIsDrivenByOneClaimAtATime() throws { try suite?.aRunIsDrivenByOneClaimAtATime() }
    @Test func snapshotsMatchAFullFold() async throws { try await suite?.snapshotsMatchAFullFold() }
    @Test func verifyPasses() async throws { try await suite?.verifyPasses() }
    @Test func tamperIsDetected() async throws { try await suite?.tamperIsDetected() }
    @Test func repeatedStringsAreStoredOnce() async throws { try await suite?.repeatedStringsAreStoredOnce() }
    @Test func filesOfOneIngestLandAsTheirOwnReportsSay() async throws { try await suite?.filesOfOneIngestLandAsTheirOwnReportsSay() }
    @Test func sealsCatchChangesAfterSealing() async throws { try await suite?.sealsCatchChangesAfterSealing() }
    @Test func copyBetweenTwoJournals() async throws { try await suite?.copyBetweenTwoJournals() }
    @Test func readModelFollowsTheRuns() async throws { try await suite?.readModelFollowsTheRuns() }
}
