"""The instructor's publishing: book pages, the public site, its figures and bibliography, the
instructor edition and the student branch, each checked for leaked solutions."""
