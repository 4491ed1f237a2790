"""The piece language: YAML piece files, validated and compiled into frozen sections."""
