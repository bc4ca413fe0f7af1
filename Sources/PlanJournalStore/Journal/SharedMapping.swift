import Foundation
import Synchronization

/// The first ``byteCount`` bytes of a file mapped shared (`mmap` with `MAP_SHARED`), for the
/// append log (``AppendLog``): a copy into it replaces a `pwrite`, and lands in the kernel's page
/// cache all the same, so a killed process loses nothing copied. Unmapped when it goes.
///
/// Not `Sendable`: owned by one ``AppendLog``.
final class SharedMapping {
    private let base: UnsafeMutableRawPointer
    /// How many bytes of the file are mapped.
    let byteCount: Int

    /// Maps the first `byteCount` bytes of the file open (for reading and writing) as `fd`;
    /// `nil` when they cannot be mapped. Call ``allocate(fd:byteCount:)`` first.
    init?(fd: Int32, byteCount: Int) {
        let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        self.byteCount = byteCount
    }

    deinit {
        munmap(base, byteCount)
    }

    /// Allocates blocks for the first `byteCount` bytes of the file open as `fd`, not only a
    /// length: on a full disk, writing through a mapping into a hole of a sparse file faults with
    /// SIGBUS, where this fails cleanly. Whatever the file held beyond its old end reads as zeroes.
    /// - Returns: whether the blocks are allocated.
    static func allocate(fd: Int32, byteCount: Int) -> Bool {
        posix_fallocate(fd, 0, off_t(byteCount)) == 0
    }

    /// Copies `bytes` (not empty) to `offset`, its first byte last (after a memory fence): until
    /// that byte is there, nothing at `offset` changes, so a process killed in the middle of the
    /// copy leaves `offset` as it was. The bytes must fit: `offset + bytes.count <= byteCount`.
    func publish(_ bytes: [UInt8], at offset: Int) {
        bytes.withUnsafeBytes { raw in
            let source = raw.baseAddress!
            (base + offset + 1).copyMemory(from: source + 1, byteCount: raw.count - 1)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            (base + offset).copyMemory(from: source, byteCount: 1)
        }
    }

    /// Sets the first byte to `first`, then (after a memory fence) zeroes the bytes after it up to
    /// `count` (at most ``byteCount``): whatever a process killed meanwhile leaves, the file starts
    /// with `first`.
    func overwriteStart(with first: UInt8, zeroingUpTo count: Int) {
        base.storeBytes(of: first, as: UInt8.self)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if count > 1 { (base + 1).initializeMemory(as: UInt8.self, repeating: 0, count: count - 1) }
    }
}
