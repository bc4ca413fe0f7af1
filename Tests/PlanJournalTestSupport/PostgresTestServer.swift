import Foundation
import Testing

/// The PostgreSQL server the PostgreSQL tests use: `$PLANJ_TEST_POSTGRES_URL` (tools/test.sh
/// starts one with tools/pg/start.sh and sets it).
public enum PostgresTestServer {
    /// The server's URL; `nil` when it is not set, after a loud banner, or a recorded failure when
    /// `PLANJ_REQUIRE_POSTGRES=1` (as in CI).
    /// - Parameter checks: what is skipped, for the banner.
    public static func url(skipping checks: String) -> String? {
        let env = ProcessInfo.processInfo.environment
        if let url = env["PLANJ_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        if env["PLANJ_REQUIRE_POSTGRES"] == "1" {
            Issue.record(
                "PLANJ_REQUIRE_POSTGRES=1 but PLANJ_TEST_POSTGRES_URL is not set (start a server with tools/pg/start.sh, or run tools/test.sh)")
        } else {
            let line = String(repeating: "!", count: 78)
            print(
                """
                \(line)
                !! SKIPPED: \(checks): PLANJ_TEST_POSTGRES_URL is not set.
                !! Run tools/test.sh, or: export PLANJ_TEST_POSTGRES_URL=$(bash tools/pg/start.sh)
                !! CI sets PLANJ_REQUIRE_POSTGRES=1 to make this a failure.
                \(line)
                """)
        }
        return nil
    }
}
