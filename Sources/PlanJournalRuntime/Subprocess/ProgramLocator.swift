import Foundation

/// Finds the program an agent command line names, as a shell would.
enum ProgramLocator {
    /// The path of `program`: as given when it holds a `/` (from `directory` when it is relative
    /// and one is given), else the first match on `$PATH`.
    static func locate(_ program: String, from directory: String? = nil) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if program.contains("/") {
            let program = directory.map { program.hasPrefix("/") ? program : ($0 as NSString).appendingPathComponent(program) } ?? program
            guard fm.fileExists(atPath: program, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: program)
            else {
                throw RuntimeError(
                    "usage",
                    isDirectory.boolValue
                        ? "\(program) is a directory, not a program" : "cannot find the program \(program) (or it is not executable)")
            }
            return program
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        throw RuntimeError("usage", "cannot find the program \(program) on $PATH")
    }
}
