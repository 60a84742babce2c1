//! Compiles `proto/transport.proto` with protox (pure Rust, no `protoc` needed) and generates
//! the tonic client and server for the node-to-node transport.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/transport.proto");
    let descriptors = protox::compile(["proto/transport.proto"], ["proto"])?;
    // `bytes` fields as `bytes::Bytes`, so payloads are not copied.
    tonic_prost_build::configure()
        .bytes(".")
        .compile_fds(descriptors)?;
    Ok(())
}
