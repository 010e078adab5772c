# Shorthands for the README's two commands; both install what they need first.
.PHONY: demo test

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh
