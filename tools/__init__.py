"""Offline model building: what the runtime plugins ship comes from here (not packaged).

    python -m tools.train_sentiment     # plugins/sentiment/data/multilingual_sentiment.json
"""
