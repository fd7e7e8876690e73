// tsyringe needs the Reflect metadata API loaded once before any decorated class is evaluated.
import 'reflect-metadata';
