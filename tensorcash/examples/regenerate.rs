//! Rewrites `src/generated.rs` from `schema/*.fbs`:
//! `cargo run -p tensorcash-fbs --example regenerate`.

fn main() {
    let dir = env!("CARGO_MANIFEST_DIR");
    std::env::set_current_dir(dir).expect("the crate's directory");
    // As `tensorcash_fbs::SCHEMAS` (not imported: this must run while the
    // bindings do not compile).
    let schemas = [
        "schema/proof.fbs",
        "schema/validation.fbs",
        "schema/blockheader.fbs",
    ];
    let declarations = planus_translation::translate_files(&schemas)
        .expect("the schemas translate (errors are printed above)");
    let code = planus_codegen::generate_rust(&declarations, true).expect("bindings are generated");
    std::fs::write("src/generated.rs", code).expect("src/generated.rs is written");
}
