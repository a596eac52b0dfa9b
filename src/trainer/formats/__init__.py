"""The file formats documents come from and go to: Label Studio tasks, CoNLL, JSONL, drafts."""
