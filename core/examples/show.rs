//! Development helper: import files and print the pipeline and the decision.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = args
        .first()
        .map(|f| f.parse::<lockkeeper::PipelineFormat>())
        .transpose()?;
    let texts: Vec<(String, String)> = args[1..]
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap_or_default()))
        .collect();
    let files: Vec<lockkeeper::SourceFile> = texts
        .iter()
        .map(|(n, t)| lockkeeper::SourceFile { name: n, text: t })
        .collect();
    let p = lockkeeper::Pipeline::import(&files, format)?;
    if std::env::var("DUMP").is_ok() {
        println!("{}", serde_json::to_string_pretty(&p.to_json_value())?);
    }
    println!("{}", lockkeeper::Policy::builtin()?.check_pipeline(&p));
    Ok(())
}
