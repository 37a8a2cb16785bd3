public import Foundation

extension SigV4Signer {
    /// A URL that carries its own signature in the query (X-Amz-Algorithm … X-Amz-Signature), valid
    /// for `expires` (whole seconds, 1 s to 7 days). `headers` are bound into the signature and must be
    /// sent with the request (Host always is). The payload hash defaults to UNSIGNED-PAYLOAD for S3 and
    /// to the empty body's hash for other services.
    public func presignedURL(
        method: String,
        url: URL,
        headers: [(name: String, value: String)] = [],
        expires: Duration,
        payloadHash: String? = nil
    ) throws(SigV4Error) -> URL {
        let request = try SigV4Request(
            method: method,
            url: url,
            headers: headers,
            payloadHash: payloadHash ?? (service == "s3" ? Self.unsignedPayload : Self.emptyPayloadHash)
        )
        let signing = try querySigning(request, expires: expires)
        let scheme = url.scheme?.lowercased() ?? "https"
        let string = "\(scheme)://\(request.authority)\(request.path)?\(signing.query)"
        guard let presigned = URL(string: string) else {
            throw .invalidURL(string)
        }
        return presigned
    }

    /// Every stage of a query signing; `query` is the whole signed query string in wire form.
    package struct QuerySigning {
        package var canonicalRequest: String
        package var stringToSign: String
        package var signature: String
        package var query: String
    }

    /// Parameters that SigV4 query signing adds; a URL already carrying one cannot be signed again.
    static let signingParameters: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
        "x-amz-signedheaders", "x-amz-security-token", "x-amz-signature",
    ]

    package func querySigning(_ request: SigV4Request, expires: Duration) throws(SigV4Error) -> QuerySigning {
        let (seconds, fraction) = expires.components
        guard fraction == 0, (1...604_800).contains(seconds) else {
            throw .invalidExpiry(expires)
        }
        try Self.checkNoReservedHeaders(request.headers)
        let existing = Self.queryParameters(request.query)
        if let clash = existing.first(where: { Self.signingParameters.contains($0.name.lowercased()) }) {
            throw .reservedQueryParameter(clash.name)
        }

        let time = RequestTime(clock())
        let scope = credentialScope(time)
        let headers = canonicalHeaders(request.headers, authority: request.authority)
        // The order aws-c-auth writes them in; the canonical query string sorts them anyway.
        var added: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", time.dateTime),
            ("X-Amz-SignedHeaders", headers.signedHeaders),
            ("X-Amz-Expires", String(seconds)),
        ]
        var signed = existing + added
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            if !options.omitSessionTokenFromSignature {
                signed.append(("X-Amz-Security-Token", token))
            }
        }
        let canonical = canonicalRequest(
            method: request.method,
            canonicalURI: canonicalURI(path: request.path),
            canonicalQueryString: canonicalQueryString(signed),
            canonicalHeaders: headers,
            payloadHash: request.payloadHash
        )
        let toSign = stringToSign(canonicalRequest: canonical, requestDateTime: time.dateTime, credentialScope: scope)
        let signature = self.signature(stringToSign: toSign, signingKey: signingKey(date: time.date))
        added.append(("X-Amz-Signature", signature))

        let addedQuery = added.map { "\($0.name)=\(AWSURIEncoding.encode($0.value))" }.joined(separator: "&")
        let query: String
        if let existingQuery = request.query, !existingQuery.isEmpty {
            query = "\(existingQuery)&\(addedQuery)"
        } else {
            query = addedQuery
        }
        return QuerySigning(canonicalRequest: canonical, stringToSign: toSign, signature: signature, query: query)
    }
}
