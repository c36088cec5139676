"""Machine annotation (OmniVQA §3.2 / §3.4): endpoint clients with retry and back-pressure
(`endpoints`), versioned prompts (`prompts`), the summary rules (`summary`), judge voting
(`voting`), human review (`review`), Q&A checks (`qa`), the two branches (`technical`,
`aesthetic`), one row end to end (`runner`), the output folder (`store`), and a scripted
OpenAI-compatible server for tests and benchmarks (`testing` — a test double)."""
