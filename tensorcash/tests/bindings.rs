//! The committed bindings are exactly what planus generates from the
//! committed schemas: a schema edited without regenerating fails here.

#[test]
fn committed_bindings_match_the_schemas() {
    let dir = env!("CARGO_MANIFEST_DIR");
    std::env::set_current_dir(dir).expect("the crate's directory");
    let declarations = planus_translation::translate_files(tensorcash_fbs::SCHEMAS)
        .expect("the schemas translate");
    let fresh = planus_codegen::generate_rust(&declarations, true).expect("bindings are generated");
    let committed = std::fs::read_to_string("src/generated.rs").expect("src/generated.rs exists");
    assert!(
        fresh == committed,
        "src/generated.rs differs from the schemas: run `cargo run -p tensorcash-fbs --example regenerate`"
    );
}
