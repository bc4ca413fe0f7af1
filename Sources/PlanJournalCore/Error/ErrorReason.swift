import Foundation

/// What a Foundation error says in the words of the system (`No space left on device`), rather
/// than Foundation's (`The operation could not be completed. There isn't enough space.`).
package enum ErrorReason {
    /// `strerror` of the POSIX error `error` is or wraps; else its localized description.
    package static func of(_ error: any Error) -> String {
        let e = error as NSError
        let posix = (e.userInfo[NSUnderlyingErrorKey] as? NSError).map { $0.domain == NSPOSIXErrorDomain ? $0.code : 0 }
        let code = e.domain == NSPOSIXErrorDomain ? e.code : posix ?? 0
        return code != 0 ? of(errno: Int32(code)) : e.localizedDescription
    }

    /// `strerror` of the POSIX error number `code` (`No space left on device`).
    package static func of(errno code: Int32) -> String {
        String(cString: strerror(code))
    }
}
