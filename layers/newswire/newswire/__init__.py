"""newswire: news feeds to Hugo-ready Markdown in S3, indexed in DynamoDB."""

__version__ = "0.1.0"
