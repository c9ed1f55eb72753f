import LongrunCore

extension HandlerRegistry {
    /// The built-in kinds of the contract, `demo.noop` and `demo.sleep`.
    public static var demoKinds: HandlerRegistry {
        var registry = HandlerRegistry()
        registry.register(DemoNoop())
        registry.register(DemoSleep())
        return registry
    }
}
