import PlanJournalCore

/// A run with a secret planted in every field of every event (and in the run id, the actors
/// and a field name), for the tests that check no export leaks any of them.
public enum SecretRun {
    /// What must never appear in a redacted export: each secret's telling part.
    public static let secrets = [
        "sk-proj-AbCdEf0123456789XyZ", "abcdefghijklmnop0123456789", "AKIAIOSFODNN7EXAMPLE", "MIIEowIBAAKCAQEA",
        "alice@example.com", "hunter2secret", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "s3cr3t-field-value", "ACME-123456",
    ]

    /// A user rule (for `--redact-rules`) that hides the last secret, which no built-in rule knows.
    public static let userRules = "# customer tokens\nACME-\\d{6} => [customer]\n"

    /// The run's id (it carries an e-mail address).
    public static let run = "run-of-alice@example.com"

    /// The run's events.
    public static func events() throws -> [JournalEvent] {
        let key = #"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"#
        let all = "key sk-proj-AbCdEf0123456789XyZ, Bearer abcdefghijklmnop0123456789, AKIAIOSFODNN7EXAMPLE, \(key), alice@example.com, "
            + "postgres://admin:hunter2secret@db.internal/x, ghp_0123456789abcdefghijABCDEFGHIJ012345, "
            + "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, "
            + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N, ACME-123456"
        let step = "fetch-alice@example.com"
        var b = RunBuilder(run: run)
        try b.add(
            "run.started",
            #"{"goal":"\#(all)","agent":{"name":"\#(all)"},"planner":{"model":"\#(all)"},"config":{"password":"s3cr3t-field-value","note":"\#(all)"},"tags":["\#(all)"]}"#,
            actor: "human:alice@example.com")
        try b.add(
            "plan.proposed",
            #"{"version":1,"steps":[{"id":"\#(step)","description":"\#(all)","tool":"http","args":{"url":"\#(all)","headers":{"Authorization":"s3cr3t-field-value"}},"expected_output":"\#(all)"},{"id":"sum","depends_on":["\#(step)"]}],"rationale":"\#(all)"}"#,
            actor: "planner")
        try b.add("step.started", #"{"step_id":"\#(step)","inputs":{"q":"\#(all)"}}"#, actor: "executor")
        try b.add(
            "call.model",
            #"{"step_id":"\#(step)","model":"m","prompt":"\#(all)","response":"\#(all)","usage":{"input_tokens":5,"output_tokens":5}}"#,
            actor: "model:\(all)")
        try b.add("call.tool", #"{"step_id":"\#(step)","call_id":"c1","tool":"http","args":{"u":"\#(all)","alice@example.com":1}}"#)
        try b.add("step.observed", #"{"step_id":"\#(step)","call_id":"c1","ok":true,"content":"\#(all)"}"#)
        try b.add("step.failed", #"{"step_id":"\#(step)","error":{"type":"x","message":"\#(all)"}}"#)
        try b.add("replan.triggered", #"{"reason":"\#(all)","step_id":"\#(step)"}"#)
        try b.add("plan.revised", #"{"version":2,"base_version":1,"changed":[{"id":"\#(step)","description":"\#(all)"}],"reason":"\#(all)"}"#)
        try b.add("step.started", #"{"step_id":"\#(step)","attempt":2}"#, actor: "executor")
        try b.add("step.completed", #"{"step_id":"\#(step)","output":"\#(all)","summary":"\#(all)"}"#)
        try b.add("approval.requested", #"{"step_id":"sum","reason":"\#(all)"}"#)
        try b.add("approval.resolved", #"{"step_id":"sum","decision":"granted","comment":"\#(all)"}"#, actor: "human:alice@example.com")
        try b.add("step.started", #"{"step_id":"sum"}"#)
        try b.add("step.skipped", #"{"step_id":"sum","reason":"\#(all)"}"#)
        try b.add("note", #"{"message":"\#(all)"}"#)
        try b.add("x.custom", #"{"anything":"\#(all)"}"#)
        try b.add("run.completed", #"{"status":"succeeded","final_answer":"\#(all)"}"#)
        return b.events
    }
}
