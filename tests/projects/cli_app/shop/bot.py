"""A chat bot's commands: `.command()` on something that is no click group; the bot runs on."""
from shop.chat import bot
from shop.db import SessionLocal


@bot.command()
async def score(ctx) -> None:
    session = SessionLocal()  # expect: SQS104
    await ctx.send(str(session.query(Score).count()))
