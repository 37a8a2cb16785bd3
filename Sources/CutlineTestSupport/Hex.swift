import Foundation

extension Array where Element == UInt8 {
    /// Bytes from hex text (two digits per byte), as test vectors write them.
    public init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    /// Lower-case hex, two digits per byte.
    public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
