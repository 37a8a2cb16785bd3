import Foundation

/// Whether an error is a full disk (ENOSPC) or an exhausted quota (EDQUOT), however Foundation or the
/// system wrapped it: so that "the disk is full" is said as such, with the path, and not as an I/O error.
public enum NoSpace {
    public static func matches(_ error: any Error) -> Bool {
        if let error = error as? DurabilityError { return isNoSpace(error.errno) }
        if let error = error as? POSIXError { return isNoSpace(error.code.rawValue) }
        if let error = error as? CocoaError, error.code == .fileWriteOutOfSpace { return true }
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain, isNoSpace(Int32(error.code)) { return true }
        if error.domain == NSCocoaErrorDomain, error.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? any Error { return matches(underlying) }
        return false
    }

    static func isNoSpace(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }
}

extension BlobStoreError {
    /// The disk under `path` is full: nothing was stored (the partial file is removed).
    public static func full(_ key: String, path: String) -> BlobStoreError {
        .init(code: "StorageFull", key: key, message: "no space left on the disk holding \(path)")
    }

    /// `error` from writing `key` at `path`: a full disk said as such, anything else as an I/O error.
    static func writing(_ key: String, path: String, _ error: any Error, _ doing: String) -> BlobStoreError {
        if let error = error as? BlobStoreError { return error }
        return NoSpace.matches(error) ? .full(key, path: path) : .io(key, "\(doing): \(error)")
    }
}
