"""Backend tests: this folder is on the import path, so both backends' tests share `role_contracts`."""
