extension SigV4Signer {
    /// The canonical URI: the path normalised and encoded per ``Options``.
    package func canonicalURI(path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if options.normalizeURIPath {
            path = Self.normalizedPath(path)
        }
        if options.doubleURIEncode {
            // The path is in its wire (already encoded) form; encoding it again is what the spec asks.
            return AWSURIEncoding.encode(path, keepSlash: true)
        }
        // S3: the path encoded exactly once. Decode each segment of the wire form and re-encode it by
        // AWS's rules, so a key the client encoded differently (`~` as `%7E`) still signs the same.
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { segment in AWSURIEncoding.encode(AWSURIEncoding.decode(String(segment)) ?? String(segment)) }
            .joined(separator: "/")
    }

    /// RFC 3986 section 5.2.4 dot-segment removal, with empty segments (`//`) dropped as well.
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for part in parts {
            switch part {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(part)
            }
        }
        var result = "/" + segments.joined(separator: "/")
        let endsAsDirectory = path.hasSuffix("/") || parts.last == "." || parts.last == ".."
        if endsAsDirectory && !segments.isEmpty {
            result += "/"
        }
        return result
    }

    /// The query's parameters decoded from their wire form; `a` without `=` is `a` with an empty value.
    package static func queryParameters(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let name: Substring
            let value: Substring
            if let equals = pair.firstIndex(of: "=") {
                name = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                name = pair
                value = ""
            }
            return (AWSURIEncoding.decode(String(name)) ?? String(name), AWSURIEncoding.decode(String(value)) ?? String(value))
        }
    }

    /// The canonical query string: names and values URI-encoded, sorted by encoded name then value.
    package func canonicalQueryString(_ parameters: [(name: String, value: String)]) -> String {
        parameters
            .map { (AWSURIEncoding.encode($0.name), AWSURIEncoding.encode($0.value)) }
            .sorted { a, b in
                a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The canonical headers: names lower-cased, values trimmed with inner whitespace runs folded to one
    /// space, repeated names joined by commas in the order sent, sorted by name; Host from `authority`
    /// when the request has none.
    package func canonicalHeaders(_ headers: [(name: String, value: String)], authority: String) -> CanonicalHeaders {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard options.signedHeaders.signs(name) else { continue }
            values[name, default: []].append(Self.canonicalHeaderValue(header.value))
        }
        if values["host"] == nil {
            values["host"] = [authority]
        }
        let entries =
            values
            .map { (name: $0.key, value: $0.value.joined(separator: ",")) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return CanonicalHeaders(entries: entries)
    }

    static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                pendingSpace = !out.isEmpty
            default:
                if pendingSpace {
                    out.append(UInt8(ascii: " "))
                    pendingSpace = false
                }
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Sorted, lower-cased, folded headers; `text` is their block in the canonical request.
package struct CanonicalHeaders: Sendable {
    package let entries: [(name: String, value: String)]

    /// `name:value\n` for each header (the block ends with a newline, hence the blank line after it).
    package var text: String {
        entries.map { "\($0.name):\($0.value)\n" }.joined()
    }

    /// The names joined by `;`.
    package var signedHeaders: String {
        entries.map(\.name).joined(separator: ";")
    }
}
