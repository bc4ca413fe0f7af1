import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// The EINTR-retrying reads and writes of ``FileDescriptor``, their errors in the caller's words,
/// and ``FileIdentity``.
@Suite struct FileDescriptorTests {
    @Test func bytesWrittenAtAnOffsetReadBackFromIt() throws {
        let t = try TemporaryJournal()
        let fd = open(t.directory + "/file", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let file = FileDescriptor(fd)
        try file.write(Array("hello".utf8), at: 3, failure: "cannot write the file")
        #expect(try file.read(count: 5, at: 3, failure: "cannot read the file") == Array("hello".utf8))
        let all = file.readAvailable(count: 16, at: 0)
        #expect(all.read == 8)
        #expect(all.bytes.count == 16)
        #expect(Array(all.bytes[3..<8]) == Array("hello".utf8))
    }

    @Test func aFailureIsAnIOErrorInTheCallersWordsWithTheSystemsReason() throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/file"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("abc".utf8)))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        let file = FileDescriptor(fd)
        let written = #expect(throws: JournalError.self) {
            try file.write([1], at: 0, failure: "cannot write the thing", context: .init(file: path))
        }
        #expect(written?.code == .io)
        #expect(written?.message == "cannot write the thing: \(String(cString: strerror(EBADF)))")
        #expect(written?.context.file == path)
        #expect(written?.context.journalPath == nil)
        // Past the end: the read fails rather than return fewer bytes.
        #expect(throws: JournalError.self) { try file.read(count: 4, at: 0, failure: "cannot read the thing") }
        #expect(try file.readBlock(upTo: 16, failure: "cannot read the thing") == Array("abc".utf8))
        #expect(try file.readBlock(upTo: 16, failure: "cannot read the thing") == nil)
    }

    @Test func aPathAndItsOpenDescriptorNameTheSameFileAndAnotherPathAnother() throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/a"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(FileManager.default.createFile(atPath: t.directory + "/b", contents: Data()))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        let opened = try #require(FileIdentity(descriptor: fd))
        #expect(FileIdentity(path: path) == opened)
        #expect(FileIdentity(path: t.directory + "/b") != opened)
        #expect(FileIdentity(path: t.directory + "/missing") == nil)
    }
}
