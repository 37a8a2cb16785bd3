import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads the flat parts of S3's XML answers: every element's text by name, and repeated groups
/// (`Contents` in a listing) as dictionaries.
final class S3XML: NSObject, XMLParserDelegate {
    private(set) var values: [String: String] = [:]
    private(set) var groups: [[String: String]] = []
    private let groupName: String?
    private var current: [String: String]?
    private var text = ""

    init(_ data: [UInt8], group: String? = nil) {
        groupName = group
        super.init()
        let parser = XMLParser(data: Data(data))
        parser.delegate = self
        // A document that does not parse leaves the fields empty; callers check for what they need.
        _ = parser.parse()
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:])
    {
        if name == groupName { current = [:] }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == groupName, let group = current {
            groups.append(group)
            current = nil
        } else if current != nil {
            current?[name] = text
        } else {
            values[name] = text
        }
        text = ""
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
