/// Advisory-lock keys of runs: 64-bit FNV-1a of the run id, kept clear of
/// ``PGConnection/writeLockKey`` (two runs sharing a key only take turns).
enum PGLockKeys {
    static func key(run: String) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in run.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let key = Int64(bitPattern: hash)
        return key == PGConnection.writeLockKey ? key &+ 1 : key
    }
}
