import Foundation

/// Finds the program an agent command line names, as a shell would.
enum ProgramLocator {
    /// The path of `program`: as given when it holds a `/`, else the first match on `$PATH`.
    static func locate(_ program: String) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if program.contains("/") {
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
