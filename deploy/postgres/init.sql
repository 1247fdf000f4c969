-- Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d), as POSTGRES_USER.
-- One database per service, plus one shared by every service for the traffic record.
CREATE DATABASE socle_prosanteconnect;
CREATE DATABASE socle_annuaire;
CREATE DATABASE socle_ins;
CREATE DATABASE socle_dmp;
CREATE DATABASE socle_mssante;
CREATE DATABASE socle_traffic;
