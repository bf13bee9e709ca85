"""The HTTP face of outcome-mastery: Canvas's HTTPS Live Events delivery in, a Canvas-compatible API and
a mastery grid out. Requests are parsed here, answered by the layers below, and rendered; nothing else.
"""
