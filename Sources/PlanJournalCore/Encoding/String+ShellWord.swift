extension String {
    /// This text as one word of a POSIX shell command line: as it is when it is plain (ASCII
    /// letters, digits and `/._-:@+=,`), else in single quotes, so that a command planj suggests
    /// can be pasted whatever a run id or path holds.
    package var shellWord: String {
        let plain = !isEmpty && unicodeScalars.allSatisfy { s in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "/._-:@+=,".unicodeScalars.contains(s))
        }
        return plain ? self : "'" + split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
