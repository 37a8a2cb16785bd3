extension Duration {
    /// Seconds with their fraction (`components.seconds` alone drops everything under a second).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
