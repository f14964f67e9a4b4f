#![no_main]
// Argo Events files imported together (NUL bytes separate them: Sensors, EventSources and
// workflows in any order, each prefixed so the importer sees Argo objects) and checked give a
// decision or an import error, never a panic: event kinds, dependencies naming missing sources,
// parameters filled from events, checkouts of an event's revision.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let texts: Vec<String> = text
        .split('\0')
        .enumerate()
        .map(|(i, t)| {
            let kind = if i % 2 == 0 { "Sensor" } else { "EventSource" };
            format!("apiVersion: argoproj.io/v1alpha1\nkind: {kind}\n{t}")
        })
        .collect();
    let names: Vec<String> = (0..texts.len()).map(|i| format!("events/{i}.yaml")).collect();
    let files: Vec<lockkeeper::SourceFile<'_>> = texts
        .iter()
        .zip(&names)
        .map(|(text, name)| lockkeeper::SourceFile { name, text })
        .collect();
    if let Ok(p) = lockkeeper::Pipeline::import(&files, Some(lockkeeper::PipelineFormat::Argo))
    {
        let _ = lockkeeper::Policy::builtin().check_pipeline(&p).allowed();
    }
});
